#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, ENV_VARS } from './config.js';
import { CursorFileError } from './cursor/store.js';
import { runDemo } from './demo/run-demo.js';
import { SlackIntegrationLogsReceiver, TeamsSyncError } from './receiver.js';
import { SlackFatalError } from './slack/client.js';
import { SpoolError } from './sync/spool.js';
import { startSelfTelemetry } from './telemetry/meter-provider.js';
import { SELF_METRICS_ENV_VARS } from './telemetry/metrics-settings.js';
import { stderrLogger } from './logger.js';
import { PACKAGE_VERSION } from './version.js';

/** Set when the self-metrics' last export did not end in time (collector down): exit without waiting for its retries. */
let abandonMetrics = false;

/** Exit codes: documented in the README and `--help`. */
export const EXIT = { ok: 0, failed: 1, config: 2, slackNeedsPerson: 3, cursor: 4 } as const;

const HELP = `slack-integration-logs ${PACKAGE_VERSION}
Exports Slack team.integrationLogs to an OpenTelemetry collector over OTLP/HTTP, incrementally.

Usage:
  slack-integration-logs            poll every SLACK_POLL_INTERVAL until SIGTERM/SIGINT
  slack-integration-logs --once     one sync pass, then exit
  slack-integration-logs --demo     run against an embedded fake Slack workspace (no token) and print the records
  slack-integration-logs --help | --version

Environment:
${[...ENV_VARS, ...SELF_METRICS_ENV_VARS].map((v) => `  ${v.name.padEnd(34)} ${v.meaning} [default: ${v.default}]`).join('\n')}

Exit codes: 0 ok; 1 delivery failed (Slack unreachable, OTLP export failed), retry later;
  2 invalid configuration; 3 Slack refused the token or scope (needs a person); 4 cursor file unusable or locked.
`;

function exitCodeFor(error: unknown): number {
  // Several teams failed: the code of the one that needs the most attention (3 and 4 over 1).
  if (error instanceof TeamsSyncError) return Math.max(...Object.values(error.errors).map(exitCodeFor));
  if (error instanceof ConfigError) return EXIT.config;
  if (error instanceof SlackFatalError) return EXIT.slackNeedsPerson;
  if (error instanceof CursorFileError || error instanceof SpoolError) return EXIT.cursor;
  return EXIT.failed;
}

async function main(argv: string[]): Promise<number | never> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { once: { type: 'boolean' }, demo: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`slack-integration-logs: ${(e as Error).message}; see --help\n`);
    return EXIT.config;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  if (values.version) {
    process.stdout.write(`${PACKAGE_VERSION}\n`);
    return EXIT.ok;
  }
  if (values.demo) {
    await runDemo(process.env, (line) => process.stdout.write(`${line}\n`));
    return EXIT.ok;
  }

  // Self-metrics to the same collector, unless a host MeterProvider (an --import'ed SDK) wins.
  const telemetry = await startSelfTelemetry(process.env, stderrLogger());
  const receiver = SlackIntegrationLogsReceiver.fromEnv(process.env, { meterProvider: telemetry.meterProvider });
  if (values.once) {
    try {
      await receiver.syncOnce();
      return EXIT.ok;
    } finally {
      await receiver.shutdown();
      abandonMetrics = !(await telemetry.shutdown());
    }
  }
  await receiver.start().catch(async (error: unknown) => {
    await receiver.shutdown();
    await telemetry.shutdown();
    throw error;
  });
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        // A second signal: the person means it. Nothing unacknowledged was saved, so this is safe.
        process.stderr.write(`${new Date().toISOString()} WARN second ${signal}: exiting now\n`);
        process.exit(EXIT.failed);
      }
      stopping = true;
      process.stderr.write(`${new Date().toISOString()} INFO ${signal}: stopping after the current page or batch\n`);
      void receiver
        .shutdown()
        .then(() => telemetry.shutdown())
        .then(() => resolve());
    };
    // `on`, not `once`: the lock library re-raises a signal nobody else listens to, which would
    // kill the process before shutdown ends.
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  // An export still waiting for the collector must not hold the exit past the shutdown timeout;
  // its batch was not saved in the cursor and is sent again by the next run.
  process.exit(EXIT.ok);
}

// `--demo | head -1` and the like: a reader that went away is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    if (abandonMetrics) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`slack-integration-logs: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = exitCodeFor(error);
    if (abandonMetrics) process.exit(process.exitCode);
  },
);
