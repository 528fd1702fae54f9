import { describe, expect, it } from 'vitest';
import { optionsFromEnv, resolveConfig } from '../src/config/config.js';
import { harnessPerTest, makeEntries, TEST_TOKEN } from './helpers.js';
import { ConfigError } from '../src/core/errors.js';

/**
 * Settings that look valid but are not (refused up front, with a message that names the setting
 * and never echoes a token), valid ones that are easy to mangle (kept intact), and a SLACK_API_URL
 * that can never work (stopped at once as needing a person, not retried).
 */

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
    expect(optionsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/base/?tenant=a' }).otlpEndpoint).toBe(
      'http://collector:4318/base/v1/logs?tenant=a',
    );
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
