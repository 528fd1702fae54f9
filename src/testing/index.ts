/**
 * The test kit, `slack-integration-logs-receiver/testing`: a fake Slack that speaks
 * `team.integrationLogs`' wire format and a fake OTLP collector that decodes what it gets, so that
 * a host can test its embedding of the receiver without Slack or a collector.
 */
export { FakeSlack } from './fake-slack.js';
export { FakeCollector, type DecodedLogRecord } from './fake-collector.js';
export { demoEntries, demoLaterEntries } from './workspace.js';
