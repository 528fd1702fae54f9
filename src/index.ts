export { SlackIntegrationLogsReceiver, type ReceiverStatus } from './receiver.js';
export type { ReplayResult } from './export/dead-letter-replay.js';
export { ENV_VARS } from './config/config.js';
export { EVENT_NAME, SEVERITY_BY_CHANGE_TYPE } from './record/mapping.js';
export type {
  CursorPosition,
  PagingGap,
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
  DeadLetterFileError,
  EXIT_CODES,
  HealthEndpointError,
  NoInventoryError,
  OtlpExportError,
  ReceiverError,
  SlackFatalError,
  SlackPaginationLimitError,
  SlackUnavailableError,
  SpoolError,
  StateFileError,
  StoppedError,
  SyncConsistencyError,
  TeamsSyncError,
} from './core/errors.js';
export type { SlackIntegrationLogsReceiverOptions } from './config/options.js';
export type { InventoryChange, InventoryItem, InventoryStatus } from './inventory/types.js';
export type { CredentialState } from './state/credential-source.js';
