/**
 * The test kit, `slack-integration-logs-receiver/testing`: a fake Slack that speaks
 * `team.integrationLogs`' wire format and a fake OTLP collector that decodes what it gets, over
 * OTLP/HTTP JSON, OTLP/HTTP protobuf or OTLP/gRPC, so that a host can test its embedding of the
 * receiver over any protocol without Slack or a collector.
 */
export type { OtlpProtocol } from '../config/otlp.js';
export { FakeSlack, type FakeSlackOptions } from './fake-slack.js';
export { FakeOAuth, type FakeOAuthOptions } from './fake-oauth.js';
export {
  FakeCollector,
  decodeLogsRequest,
  type DecodedLogRecord,
  type DecodedValue,
  type OtlpAnswer,
  type OtlpReply,
} from './fake-collector.js';
export { startFakeCollector, type RunningCollector } from './start-fake-collector.js';
export { decodeExportLogsRequest, decodeStatus, encodeExportLogsResponse, encodeStatus } from './otlp-protobuf.js';
export { demoEntries, demoLaterEntries } from './workspace.js';
