#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ENV_VARS, settingsFromEnv } from './config/config.js';
import { runDemo } from './demo.js';
import { runInventoryCommand } from './inventory-command.js';
import { SlackIntegrationLogsReceiver } from './receiver.js';
import { hostMeterProviderRegistered, startSelfTelemetry } from './telemetry/meter-provider.js';
import { stderrLogger } from './core/logger.js';
import { PACKAGE_VERSION } from './core/version.js';
import { EXIT_CODES as EXIT, exitCodeOf, exitCodeOfSummary } from './core/errors.js';

/** Set when the self-metrics' last export did not end in time (collector down): exit without waiting for its retries. */
let abandonMetrics = false;

const HELP = `slack-integration-logs ${PACKAGE_VERSION}
Exports Slack team.integrationLogs to an OpenTelemetry collector over OTLP/HTTP, incrementally.

Usage:
  slack-integration-logs            poll every SLACK_POLL_INTERVAL until SIGTERM/SIGINT
  slack-integration-logs --once     one sync pass, then exit
  slack-integration-logs --demo     run against an embedded fake Slack workspace (no token) and print the records
  slack-integration-logs --replay-dead-letters
                                    send the records the collector refused (the dead-letter file
                                    beside the cursor) again, once the cause is fixed; then exit
  --rebuild-inventory               with a run: read the whole log again to rebuild the app inventory
                                    kept in the cursor file (when it is damaged); the cursor is kept
  slack-integration-logs inventory [--json | --csv | --html FILE] [--refresh]
                                    print the apps that can reach the workspace (inventory --help);
                                    its table fits the terminal or COLUMNS, coloured unless NO_COLOR
  slack-integration-logs --help | --version

Environment:
${ENV_VARS.map((v) => `  ${v.name.padEnd(34)} ${v.meaning} [default: ${v.default}]`).join('\n')}

Exit codes: 0 ok; 1 delivery failed (Slack unreachable, OTLP export failed), retry later;
  2 invalid configuration (or the health endpoint cannot listen); 3 Slack refused the token or scope (needs a person);
  4 the cursor file, its lock, spool or dead-letter file unusable, or the cursor locked by another receiver;
  5 delivered, except records the collector refused (dead-lettered, or rejected by OTLP partial success).
`;

async function main(argv: string[]): Promise<number | never> {
  if (argv[0] === 'inventory') {
    const io = { env: process.env, stdout: process.stdout, stderr: process.stderr };
    return runInventoryCommand(argv.slice(1), { ...io, open: (env) => SlackIntegrationLogsReceiver.fromEnv(env) });
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        once: { type: 'boolean' },
        demo: { type: 'boolean' },
        'replay-dead-letters': { type: 'boolean' },
        'rebuild-inventory': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
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

  // Every setting checked at once; self-metrics to the same collector, unless a host MeterProvider (an --import'ed SDK) wins.
  const settings = settingsFromEnv(process.env, { standalone: !hostMeterProviderRegistered() });
  const telemetry = await startSelfTelemetry(settings, stderrLogger());
  const receiver = SlackIntegrationLogsReceiver.fromEnv(process.env, {
    meterProvider: telemetry.meterProvider,
    rebuildInventory: values['rebuild-inventory'] === true,
  });
  if (values['replay-dead-letters']) {
    try {
      const results = await receiver.replayDeadLetters();
      for (const r of results) {
        process.stderr.write(
          r.delivered + r.remaining === 0
            ? `${new Date().toISOString()} INFO no dead letters in ${r.file}\n`
            : `${new Date().toISOString()} ${r.remaining > 0 ? 'WARN' : 'INFO'} ${r.delivered} dead letter(s) delivered from ${r.file}; ${r.remaining} refused again and kept there\n`,
        );
      }
      return results.some((r) => r.remaining > 0) ? EXIT.recordsRefused : EXIT.ok;
    } finally {
      await receiver.shutdown();
      abandonMetrics = !(await telemetry.shutdown());
    }
  }
  if (values.once) {
    try {
      return exitCodeOfSummary(await receiver.syncOnce());
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
    process.exitCode = exitCodeOf(error);
    if (abandonMetrics) process.exit(process.exitCode);
  },
);
