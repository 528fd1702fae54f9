import type { MeterProvider } from '@opentelemetry/api';
import type { ReceiverLogger } from '../core/types.js';
import type { SettingOptions } from './settings.js';

/**
 * Options of {@link SlackIntegrationLogsReceiver}. Those that mirror an environment variable are
 * typed from the settings table (`src/config/settings.ts`, the README's "Settings"); the rest are for
 * embedding only.
 */
export interface SlackIntegrationLogsReceiverOptions extends SettingOptions {
  /**
   * The host's OpenTelemetry resource (anything with `attributes`, e.g. an SDK `Resource`): when
   * given, the records carry it instead of the one from `serviceName` / `resourceAttributes`.
   */
  resource?: { attributes: Record<string, unknown> };
  /** Where self-metrics go. Default: the global MeterProvider (the host's, when it registered one). */
  meterProvider?: MeterProvider;
  /** Where diagnostics go. Default: one line per message on stderr. */
  logger?: ReceiverLogger;
  /** `SLACK_HEALTH_ENDPOINT`: `host:port` (a port alone: on 127.0.0.1) of `GET /healthz` and `GET /readyz`, served while polling (`start()`). Default: none. */
  healthEndpoint?: string;
}
