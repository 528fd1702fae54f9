/**
 * Settings: the kinds' parsers (parseBackfillStart, parseDurationSeconds), optionsFromEnv,
 * resolveConfig, settingsFromEnv; settings that look valid but are not (refused up front, with a
 * message that names the setting and never echoes a token), valid ones that are easy to mangle
 * (kept intact), and a SLACK_API_URL that can never work (stopped at once as needing a person).
 * Expected times come from Date.UTC or hand arithmetic, never from the parsers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { optionsFromEnv, resolveConfig } from '../src/config/config.js';
import { parseBackfillStart, parseDurationSeconds } from '../src/config/kinds.js';
import { ConfigError } from '../src/core/errors.js';
import { harnessPerTest, makeEntries, TEST_TOKEN } from './helpers.js';

const TOKEN = 'xoxp-1111-2222-3333-secretsecret';
/** Fixed "now" so the default backfill start is predictable. */
const NOW = 1_796_000_000;

const utc = (...args: [number, number, number, number?, number?, number?]) =>
  Date.UTC(args[0], args[1], args[2], args[3] ?? 0, args[4] ?? 0, args[5] ?? 0) / 1000;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

const fromEnv = (env: Record<string, string | undefined>) => resolveConfig(optionsFromEnv({ SLACK_TOKEN: TOKEN, ...env }), NOW);

const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseBackfillStart', () => {
  it('an ISO date is UTC midnight', () => {
    expect(parseBackfillStart('2026-01-31')).toBe(utc(2026, 0, 31));
    expect(parseBackfillStart('2026-01-31')).toBe(1769817600);
  });

  it('an ISO date-time with Z', () => {
    expect(parseBackfillStart('2026-01-31T12:00:00Z')).toBe(utc(2026, 0, 31, 12));
    expect(parseBackfillStart('2026-01-31T12:34:56.789Z')).toBe(utc(2026, 0, 31, 12, 34, 56));
  });

  it('an ISO date-time with an offset', () => {
    expect(parseBackfillStart('2026-01-31T12:00:00+02:00')).toBe(utc(2026, 0, 31, 10));
    expect(parseBackfillStart('2026-01-31T12:00:00-05:30')).toBe(utc(2026, 0, 31, 17, 30));
  });

  it('a date-time without an offset is read as UTC, whatever the local zone', () => {
    expect(parseBackfillStart('2026-01-31T12:00')).toBe(utc(2026, 0, 31, 12));
    expect(parseBackfillStart('2026-01-31T12:00:00')).toBe(utc(2026, 0, 31, 12));
  });

  it('Unix seconds, as digits or a number', () => {
    expect(parseBackfillStart('1392163200')).toBe(1392163200);
    expect(parseBackfillStart(' 1392163200 ')).toBe(1392163200);
    expect(parseBackfillStart(1392163200)).toBe(1392163200);
  });

  it('0 means everything', () => {
    expect(parseBackfillStart('0')).toBe(0);
    expect(parseBackfillStart(0)).toBe(0);
  });

  it('a Date', () => {
    expect(parseBackfillStart(new Date(Date.UTC(2026, 0, 31, 12, 0, 0, 999)))).toBe(utc(2026, 0, 31, 12));
  });

  it.each(['yesterday', '', '-5', '2026-13-01', '31/01/2026', '2026-01-31T25:00:00Z', '1.5', '2026-1-31'])('rejects %j', (value) => {
    expect(parseBackfillStart(value)).toBeUndefined();
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects the number %s', (value) => {
    expect(parseBackfillStart(value)).toBeUndefined();
  });

  it('rejects an invalid Date', () => {
    expect(parseBackfillStart(new Date('nope'))).toBeUndefined();
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['30s', 30],
    ['5m', 300],
    ['1h', 3600],
    ['90', 90],
    [' 90 ', 90],
    ['250ms', 0.25],
    [90, 90],
    [0, 0],
  ] as const)('%j is %d seconds', (value, seconds) => {
    expect(parseDurationSeconds(value)).toBe(seconds);
  });

  it.each(['', 'often', '5 minutes', '-5', '5d', 's', '1m30s'])('rejects %j', (value) => {
    expect(parseDurationSeconds(value)).toBeUndefined();
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects the number %s', (value) => {
    expect(parseDurationSeconds(value)).toBeUndefined();
  });
});

describe('resolveConfig defaults and values', () => {
  it('fills defaults', () => {
    const c = fromEnv({});
    expect(c.token).toBe(TOKEN);
    expect(c.slackApiUrl).toBe('https://slack.com/api/');
    expect(c.backfillStart).toBe(NOW);
    expect(c.pollIntervalMs).toBe(60_000);
    expect(c.pageSize).toBe(1000);
    expect(c.retryDeadlineMs).toBe(120_000);
    expect(c.timestampPolicy).toBe('entry');
    expect(c.otlp).toEqual({
      protocol: 'http/json',
      url: 'http://localhost:4318/v1/logs',
      headers: {},
      timeoutMillis: 10_000,
      compression: 'none',
    });
    expect(c.serviceName).toBe('slack-integration-logs');
    expect(c.warnings).toEqual([]);
  });

  it('reads durations from the environment', () => {
    expect(fromEnv({ SLACK_POLL_INTERVAL: '30s' }).pollIntervalMs).toBe(30_000);
    expect(fromEnv({ SLACK_POLL_INTERVAL: '5m' }).pollIntervalMs).toBe(300_000);
    expect(fromEnv({ SLACK_POLL_INTERVAL: '90' }).pollIntervalMs).toBe(90_000);
    expect(fromEnv({ SLACK_RETRY_DEADLINE: '2m' }).retryDeadlineMs).toBe(120_000);
  });

  it('reads the backfill start from the environment', () => {
    expect(fromEnv({ SLACK_BACKFILL_START_TIME: '2026-01-31' }).backfillStart).toBe(utc(2026, 0, 31));
    expect(fromEnv({ SLACK_BACKFILL_START_TIME: '0' }).backfillStart).toBe(0);
  });

  it('a poll interval under one second is a problem', () => {
    const e = configError(() => fromEnv({ SLACK_POLL_INTERVAL: '0' }));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(/SLACK_POLL_INTERVAL/);
  });

  it('page size: whole numbers 1 to 1000', () => {
    expect(fromEnv({ SLACK_PAGE_SIZE: '200' }).pageSize).toBe(200);
    for (const bad of ['0', '1001', '10.5', 'lots']) {
      expect(configError(() => fromEnv({ SLACK_PAGE_SIZE: bad })).problems[0]).toMatch(/SLACK_PAGE_SIZE/);
    }
  });

  it('timestamp policy: entry or observed', () => {
    expect(fromEnv({ SLACK_TIMESTAMP_POLICY: 'observed' }).timestampPolicy).toBe('observed');
    expect(configError(() => fromEnv({ SLACK_TIMESTAMP_POLICY: 'now' })).problems[0]).toMatch(/SLACK_TIMESTAMP_POLICY/);
  });
});

describe('ConfigError', () => {
  it('lists every problem at once', () => {
    const e = configError(() =>
      resolveConfig(
        optionsFromEnv({
          SLACK_BACKFILL_START_TIME: 'yesterday',
          SLACK_POLL_INTERVAL: 'often',
          SLACK_API_URL: 'not a url',
        }),
        NOW,
      ),
    );
    expect(e.problems).toHaveLength(4);
    expect(e.problems.filter((p) => p.includes('SLACK_BACKFILL_START_TIME'))).toHaveLength(1);
    expect(e.problems.filter((p) => p.includes('SLACK_POLL_INTERVAL'))).toHaveLength(1);
    expect(e.problems.filter((p) => p.includes('SLACK_API_URL'))).toHaveLength(1);
    expect(e.problems.filter((p) => p.includes('SLACK_TOKEN'))).toHaveLength(1);
    // The message carries all of them on one line.
    for (const p of e.problems) expect(e.message).toContain(p);
    expect(e.message).not.toMatch(/\n/);
    expect(e.name).toBe('ConfigError');
  });

  it('names the bad values', () => {
    const e = configError(() => fromEnv({ SLACK_BACKFILL_START_TIME: 'yesterday', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'ftp://x/logs' }));
    expect(e.problems).toHaveLength(2);
    expect(e.message).toContain('"yesterday"');
    expect(e.message).toContain('"ftp://x/logs"');
  });

  it('never contains the token', () => {
    const cases: Array<Record<string, string>> = [
      { SLACK_BACKFILL_START_TIME: 'yesterday', SLACK_POLL_INTERVAL: 'often', SLACK_API_URL: 'not a url' },
      { SLACK_PAGE_SIZE: '0', SLACK_TIMESTAMP_POLICY: 'x', OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd', OTEL_EXPORTER_OTLP_TIMEOUT: '-1' },
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'nope', SLACK_RETRY_DEADLINE: 'forever' },
    ];
    for (const env of cases) {
      const e = configError(() => fromEnv(env));
      expect(e.problems.length).toBeGreaterThan(0);
      const text = `${e.message}\n${e.problems.join('\n')}\n${String(e.stack)}`;
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('secretsecret');
    }
  });

  it('never contains a token read from a file', () => {
    const file = join(dir, 'token-with-problems');
    writeFileSync(file, `${TOKEN}\n`);
    const e = configError(() => resolveConfig(optionsFromEnv({ SLACK_TOKEN_FILE: file, SLACK_POLL_INTERVAL: 'often' }), NOW));
    expect(e.problems).toHaveLength(1);
    expect(e.message).not.toContain('secretsecret');
  });
});

describe('token', () => {
  it('a token not starting with xoxp- is a warning, not an error', () => {
    const c = resolveConfig({ token: 'xoxb-1234-bot-token' }, NOW);
    expect(c.token).toBe('xoxb-1234-bot-token');
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(/xoxp-/);
    expect(c.warnings[0]).not.toContain('xoxb-1234-bot-token');
  });

  it('surrounding whitespace of SLACK_TOKEN is ignored', () => {
    expect(resolveConfig(optionsFromEnv({ SLACK_TOKEN: `  ${TOKEN}\n` }), NOW).token).toBe(TOKEN);
  });

  it('a blank SLACK_TOKEN counts as missing', () => {
    const e = configError(() => resolveConfig(optionsFromEnv({ SLACK_TOKEN: '   ' }), NOW));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(/SLACK_TOKEN is not set/);
  });

  it('SLACK_TOKEN_FILE is read and trimmed', () => {
    const file = join(dir, 'token');
    writeFileSync(file, `\n  ${TOKEN}  \n\n`);
    const c = resolveConfig(optionsFromEnv({ SLACK_TOKEN_FILE: file }), NOW);
    expect(c.token).toBe(TOKEN);
    expect(c.warnings).toEqual([]);
  });

  it('SLACK_TOKEN wins over SLACK_TOKEN_FILE', () => {
    const file = join(dir, 'other-token');
    writeFileSync(file, 'xoxp-from-file');
    expect(resolveConfig(optionsFromEnv({ SLACK_TOKEN: TOKEN, SLACK_TOKEN_FILE: file }), NOW).token).toBe(TOKEN);
  });

  it('an empty or missing token file is a problem naming the file', () => {
    const empty = join(dir, 'empty-token');
    writeFileSync(empty, ' \n');
    const e1 = configError(() => resolveConfig({ tokenFile: empty }, NOW));
    expect(e1.problems).toEqual([`SLACK_TOKEN_FILE ${empty} is empty`]);

    const missing = join(dir, 'no-such-file');
    const e2 = configError(() => resolveConfig({ tokenFile: missing }, NOW));
    expect(e2.problems).toHaveLength(1);
    expect(e2.problems[0]).toContain(missing);
    expect(e2.problems[0]).toContain('ENOENT');
  });
});

describe('OTLP settings from the environment', () => {
  it('OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/logs appended', () => {
    expect(fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlp.url).toBe('http://collector:4318/v1/logs');
  });

  it('... with a trailing slash too', () => {
    expect(fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).otlp.url).toBe('http://collector:4318/v1/logs');
    expect(fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/base/' }).otlp.url).toBe(
      'https://otel.example.com/base/v1/logs',
    );
  });

  it('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is used as is', () => {
    expect(fromEnv({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://collector:4318/custom/path' }).otlp.url).toBe(
      'http://collector:4318/custom/path',
    );
  });

  it('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT wins over OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    const c = fromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:9999/ingest',
    });
    expect(c.otlp.url).toBe('http://logs:9999/ingest');
  });

  it('headers are parsed (percent-decoded); the logs-specific variable wins', () => {
    expect(fromEnv({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc123, x-tenant=team%20a' }).otlp.headers).toEqual({
      'api-key': 'abc123',
      'x-tenant': 'team a',
    });
    expect(fromEnv({ OTEL_EXPORTER_OTLP_HEADERS: 'a=1', OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'b=2' }).otlp.headers).toEqual({ b: '2' });
  });

  it('a header value may contain "="', () => {
    expect(fromEnv({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic dXNlcjpwYXNz==' }).otlp.headers).toEqual({
      authorization: 'Basic dXNlcjpwYXNz==',
    });
  });

  it('timeout and compression', () => {
    const c = fromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '5000', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' });
    expect(c.otlp.timeoutMillis).toBe(5000);
    expect(c.otlp.compression).toBe('gzip');
    expect(fromEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '5000', OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '700' }).otlp.timeoutMillis).toBe(700);
  });

  it('OTEL_SERVICE_NAME defaults to slack-integration-logs', () => {
    expect(fromEnv({}).serviceName).toBe('slack-integration-logs');
    expect(fromEnv({ OTEL_SERVICE_NAME: 'integrations-audit' }).serviceName).toBe('integrations-audit');
    expect(fromEnv({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,deployment.environment=prod' }).serviceName).toBe('from-attrs');
    expect(fromEnv({ OTEL_SERVICE_NAME: 'explicit', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' }).serviceName).toBe('explicit');
  });

  it('resource attributes are parsed', () => {
    expect(fromEnv({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=sec%2Fops' }).resourceAttributes).toEqual({
      'deployment.environment': 'prod',
      team: 'sec/ops',
    });
  });

  it('protocol: http/json by default; OTEL_EXPORTER_OTLP_LOGS_PROTOCOL wins over OTEL_EXPORTER_OTLP_PROTOCOL', () => {
    expect(fromEnv({}).otlp.protocol).toBe('http/json');
    expect(fromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).otlp.protocol).toBe('http/protobuf');
    expect(fromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' }).otlp.protocol).toBe('grpc');
  });

  it('grpc: default endpoint http://localhost:4317, and OTEL_EXPORTER_OTLP_ENDPOINT is used as is (no /v1/logs)', () => {
    expect(fromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).otlp.url).toBe('http://localhost:4317');
    expect(fromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317' }).otlp.url).toBe(
      'http://collector:4317',
    );
    expect(fromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlp.url).toBe(
      'http://collector:4318/v1/logs',
    );
  });

  it('an unknown protocol is a configuration error naming the three', () => {
    expect(configError(() => fromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' })).message).toContain(
      'OTEL_EXPORTER_OTLP_PROTOCOL "http" is not one of http/json, http/protobuf, grpc',
    );
  });

  it('blank variables count as unset', () => {
    const c = fromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ', SLACK_POLL_INTERVAL: '', OTEL_SERVICE_NAME: ' ' });
    expect(c.otlp.url).toBe('http://localhost:4318/v1/logs');
    expect(c.pollIntervalMs).toBe(60_000);
    expect(c.serviceName).toBe('slack-integration-logs');
  });
});

const harness = harnessPerTest();

describe('settings that looked valid', () => {
  const problemsOf = (options: Parameters<typeof resolveConfig>[0]) => {
    try {
      resolveConfig({ token: TEST_TOKEN, ...options });
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it.each([
    [
      'a poll interval past a day (timers overflow)',
      { pollInterval: '600h' },
      /SLACK_POLL_INTERVAL "600h" is not a duration from 1s to 24h/,
    ],
    [
      'a backfill start in milliseconds',
      { backfillStartTime: String(Date.now()) },
      /in the future \(milliseconds\? it takes Unix seconds\)/,
    ],
    ['a backfill start in the future', { backfillStartTime: '2099-01-01' }, /SLACK_BACKFILL_START_TIME "2099-01-01" is in the future/],
    ['a date that does not exist', { backfillStartTime: '2026-02-30' }, /SLACK_BACKFILL_START_TIME "2026-02-30" is not an ISO 8601 date/],
    ['a token with a line break inside', { token: 'xoxp-abc\ndef' }, /line breaks or non-ASCII/],
  ])('%s is refused', (_name, options, message) => {
    expect(problemsOf(options as never).join('\n')).toMatch(message);
  });

  it.each(['xoxe.xoxp-1-rotating-not-a-real-token', 'Bearer xoxp-not-a-real-token'])(
    'a token put in SLACK_TOKEN_FILE (%s) is never echoed',
    (value) => {
      const problems = problemsOf({ token: undefined, tokenFile: value });
      expect(problems.join('\n')).toContain('SLACK_TOKEN_FILE holds what looks like a token');
      expect(problems.join('\n')).not.toContain(value);
    },
  );

  it('a rotating user token (xoxe.xoxp-) gets no "not xoxp-" warning', () => {
    expect(resolveConfig({ token: 'xoxe.xoxp-1-rotating-not-a-real-token' }).warnings).toEqual([]);
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT with a query string keeps the query after /v1/logs', () => {
    expect(
      resolveConfig(optionsFromEnv({ SLACK_TOKEN: TEST_TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/?tenant=a' })).otlp
        .url,
    ).toBe('http://collector:4318/base/v1/logs?tenant=a');
  });
});

describe('a SLACK_API_URL that can never work', () => {
  it.each([
    ['a port fetch refuses (9)', (url: string) => url.replace(/:\d+\//, ':9/'), 'bad_port', /blocked port/],
    ['a redirect', (url: string) => url, 'redirect', /redirect: set it to the final URL/],
  ])('%s stops at once as needing a person, not as a retryable failure', async (name, urlOf, code, message) => {
    const h = await harness.start({ entries: makeEntries(2) });
    if (name === 'a redirect') h.slack.enqueue({ status: 301, headers: { location: 'https://example.invalid/api/' }, body: '' });
    const started = Date.now();
    const error = (await h.failingPass(
      h.receiver({ backfillStartTime: 0, slackApiUrl: urlOf(h.slack.url), retryDeadline: 20 }),
    )) as Error & { code?: string };
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.name).toBe('SlackFatalError');
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });
});
