export { SlackIntegrationLogsReceiver, type ReceiverStatus } from './receiver.js';
export { ENV_VARS } from './config/config.js';

export { EVENT_NAME, SEVERITY_BY_CHANGE_TYPE } from './record/mapping.js';
export type {
  CursorPosition,
  ReceiverLogger,
  SlackIntegrationLogFilters,
  SlackIntegrationLogRaw,
  SyncSummary,
  TimestampPolicy,
} from './core/types.js';
export {
  ConfigError,
  CursorFileError,
  CursorLockedError,
  OtlpExportError,
  SlackFatalError,
  SlackUnavailableError,
  SpoolError,
  StoppedError,
  TeamsSyncError,
} from './core/errors.js';
export type { SlackIntegrationLogsReceiverOptions } from './config/options.js';
