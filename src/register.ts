import { stderrLogger } from './core/logger.js';
import { SlackIntegrationLogsReceiver } from './receiver.js';
import { hostMeterProviderRegistered, startSelfTelemetry } from './telemetry/meter-provider.js';
import { readSettings } from './config/config.js';
import { ConfigError } from './core/errors.js';

/**
 * Zero-code embedding: `node --import slack-integration-logs-receiver/register app.js` starts the
 * receiver inside any Node service, configured only by environment variables (see README). It never
 * keeps the host alive, stops with it (SIGTERM, SIGINT, `beforeExit`), and never crashes it: a
 * missing token or bad settings give one line on stderr and nothing starts.
 *
 * Self-metrics go to the host's MeterProvider when one is registered by the time this runs (an
 * SDK `--import`ed before this one); otherwise to the receiver's own (OTEL_METRICS_EXPORTER...).
 */
async function register(): Promise<void> {
  const env = process.env;
  if (!env.SLACK_TOKEN && !env.SLACK_TOKEN_FILE) {
    process.stderr.write('slack-integration-logs-receiver/register: SLACK_TOKEN (or SLACK_TOKEN_FILE) is not set; not started\n');
    return;
  }
  const { receiver: config, selfMetrics, problems } = readSettings(env, { standalone: !hostMeterProviderRegistered() });
  if (!config) {
    process.stderr.write(`slack-integration-logs-receiver/register: not started: ${new ConfigError(problems).message}\n`);
    return;
  }
  if (problems.length > 0) {
    // The OTEL_* variables are the host SDK's too: one only the host understands must not stop the receiver.
    process.stderr.write(`slack-integration-logs-receiver/register: self-metrics not exported: ${new ConfigError(problems).message}\n`);
  }
  const telemetry = await startSelfTelemetry({ receiver: config, selfMetrics }, stderrLogger());
  let receiver: SlackIntegrationLogsReceiver;
  try {
    receiver = SlackIntegrationLogsReceiver.fromEnv(env, { meterProvider: telemetry.meterProvider });
  } catch (error) {
    process.stderr.write(`slack-integration-logs-receiver/register: not started: ${(error as Error)?.message ?? error}\n`);
    await telemetry.shutdown();
    return;
  }
  receiver.start({ keepProcessAlive: false }).catch((error: unknown) => {
    process.stderr.write(`slack-integration-logs-receiver/register: ${(error as Error)?.message ?? error}\n`);
  });

  // Listeners already there belong to libraries loaded with us (the lock library watches signals
  // to release its locks), not to the host: the host's own are added after this module runs.
  const ours = { SIGTERM: process.listenerCount('SIGTERM'), SIGINT: process.listenerCount('SIGINT') };
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= receiver
      .shutdown()
      .catch(() => undefined)
      .then(() => telemetry.shutdown())
      .then(() => undefined));
  const onSignal = (signal: NodeJS.Signals) => {
    void stop().then(() => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // The host does not handle it: do what Node does by default, end the process with that signal.
      if (process.listenerCount(signal) <= ours[signal as keyof typeof ours]) process.kill(process.pid, signal);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.once('beforeExit', () => void stop());
}

// Awaited: Node runs the host's code only after this, so the listener counts above are ours alone.
await register();
