export { SlackIntegrationLogsReceiver, TeamsSyncError, type ReceiverStatus } from './receiver.js';
export { ConfigError, ENV_VARS } from './config.js';
export { CursorFileError, CursorLockedError } from './cursor/store.js';
export { OtlpExportError } from './export/acknowledged-exporter.js';
export { SlackFatalError, SlackUnavailableError } from './slack/errors.js';
export { StoppedError } from './errors.js';
export { SpoolError } from './sync/spool.js';
export { EVENT_NAME, SEVERITY_BY_CHANGE_TYPE } from './record/mapping.js';
export type {
  CursorPosition,
  ReceiverLogger,
  SlackIntegrationLogFilters,
  SlackIntegrationLogRaw,
  SlackIntegrationLogsReceiverOptions,
  SyncSummary,
  TimestampPolicy,
} from './types.js';
