import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { harnessPerTest, PKG } from './helpers.js';

/**
 * What a collector receives, byte for byte up to formatting: the OTLP/JSON request body the real
 * exporter sends to the local FakeCollector for five golden entries (with what the inventory says each changed) read from the fake Slack,
 * against test/golden/otlp-request.json. The golden file was derived by hand from the mapping
 * cases (test/golden/mapping/) and the OTLP/JSON encoding rules (times as decimal strings of
 * nanoseconds, enums as numbers, attributes as key/value lists), with `log.record.uid` computed
 * independently of the code, then read against the body once.
 *
 * Masked on both sides, each checked first against a value the test knows:
 * - `observedTimeUnixNano`: the time the page was fetched, different on every run; it must lie
 *   within the pass.
 * - resource `telemetry.sdk.version`: the OpenTelemetry SDK's release (`@opentelemetry/core`'s
 *   SDK_INFO), which moves with every dependency bump, not with this package's behaviour; it must
 *   be the version package.json pins.
 * - scope `version`: this package's own version, which moves with every release; it must be the
 *   one in package.json.
 */

const harness = harnessPerTest();

/** The entries sent, by mapping case: two apps and a service, an identical pair, an RSS feed. */
const CASES = ['app-added', 'service-enabled-numeric-ids', 'identical-first', 'identical-again', 'rss-feed-removed-without-service'];

const readJson = (path: string): unknown => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const entryOf = (name: string) => (readJson(`./golden/mapping/${name}.json`) as { entry: Record<string, unknown> }).entry;
const PINNED = readJson('../package.json') as { dependencies: Record<string, string> };

const MASK = {
  observed: '<masked: observed time>',
  sdkVersion: '<masked: @opentelemetry/core version>',
  packageVersion: '<masked: package.json version>',
};

interface Body {
  resourceLogs: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeLogs: Array<{ scope: { version?: string }; logRecords: Array<{ observedTimeUnixNano: string }> }>;
  }>;
}

/** The body with the varying fields masked; `check` sees each real value first. */
function masked(body: Body, check: (field: keyof typeof MASK, value: string | undefined) => void = () => {}): Body {
  const copy = structuredClone(body);
  for (const rl of copy.resourceLogs) {
    for (const attribute of rl.resource.attributes) {
      if (attribute.key !== 'telemetry.sdk.version') continue;
      check('sdkVersion', attribute.value.stringValue);
      attribute.value.stringValue = MASK.sdkVersion;
    }
    for (const sl of rl.scopeLogs) {
      check('packageVersion', sl.scope.version);
      sl.scope.version = MASK.packageVersion;
      for (const record of sl.logRecords) {
        check('observed', record.observedTimeUnixNano);
        record.observedTimeUnixNano = MASK.observed;
      }
    }
  }
  return copy;
}

describe('the OTLP/JSON request a collector receives', () => {
  it('is the golden request, observed times and versions masked', async () => {
    const h = await harness.start({ entries: CASES.map(entryOf) });
    const before = BigInt(Date.now()) * 1_000_000n;
    await h.receiver({ backfillStartTime: 0 }).syncOnce();
    const after = BigInt(Date.now()) * 1_000_000n;

    expect(h.collector.bodies).toHaveLength(1);
    const seen: Record<keyof typeof MASK, number> = { observed: 0, sdkVersion: 0, packageVersion: 0 };
    const actual = masked(JSON.parse(h.collector.bodies[0]!) as Body, (field, value) => {
      seen[field]++;
      if (field === 'observed') {
        expect(value).toMatch(/^\d+$/);
        expect(BigInt(value!)).toBeGreaterThanOrEqual(before);
        expect(BigInt(value!)).toBeLessThanOrEqual(after);
      }
      if (field === 'sdkVersion') expect(value).toBe(PINNED.dependencies['@opentelemetry/core']);
      if (field === 'packageVersion') expect(value).toBe(PKG.version);
    });
    expect(seen).toEqual({ observed: CASES.length, sdkVersion: 1, packageVersion: 1 });

    expect(actual).toEqual(masked(readJson('./golden/otlp-request.json') as Body));
  });
});
