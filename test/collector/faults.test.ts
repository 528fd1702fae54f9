import { afterEach, describe, expect, inject, it } from 'vitest';
import { makeEntries } from '../helpers.js';
import { until } from '../process-helpers.js';
import { type Pipeline, countDelivery, startPipeline, untilQuiet } from './pipeline.js';

/**
 * The real Collector running the shipped Loki pipeline, when it is not there, refuses, or finds a
 * request too large: the receiver's cursor waits, and in the end every entry is at Loki once.
 */
const binary = inject('otelcolBinary');

function expectExactlyOnce(p: Pipeline, entries: ReturnType<typeof makeEntries>) {
  const count = countDelivery(
    p.loki.records,
    entries.map((e) => String(e.app_id)),
  );
  expect(count.missing).toEqual([]);
  expect(count.duplicates).toBe(0);
  expect(p.loki.records).toHaveLength(entries.length);
}

describe('the real Collector refusing or absent: nothing lost', () => {
  let p: Pipeline | undefined;
  afterEach(() => p?.stop());

  it('Collector down when the receiver starts: the receiver retries, and everything arrives once the Collector is up', async () => {
    const entries = makeEntries(2_000, { prefix: 'down' });
    p = await startPipeline({ binary, entries, startCollector: false });
    const first = p.runOnce({ OTEL_EXPORTER_OTLP_TIMEOUT: '10000' });
    // The receiver has tried and found nobody there.
    await until(() => p!.proxy.statuses.includes('reset'), 20_000);
    expect(p.proxy.statuses).toContain('reset');
    expect(p.proxy.acknowledged).toHaveLength(0);
    await p.collector.start();
    const codes = [(await first).code ?? -1];
    if (codes[0] !== 0) codes.push(...(await p.runUntilDone()));
    expect(codes.at(-1)).toBe(0);
    await untilQuiet(
      p,
      2000,
      60_000,
      entries.map((e) => String(e.app_id)),
    );
    expectExactlyOnce(p, entries);
  });

  it('Collector refusing with memory_limiter (503): the cursor waits; after a restart without the pressure, everything arrives once', async () => {
    const entries = makeEntries(2_000, { prefix: 'mem' });
    p = await startPipeline({ binary, entries, startCollector: false });
    // Deliberate deviation: a memory limit far below what the Collector itself uses, so the
    // shipped memory_limiter refuses every request.
    await p
      .useConfig('collector.memory-pressure', (cfg) => {
        cfg.processors.memory_limiter = { check_interval: '100ms', limit_mib: 2, spike_limit_mib: 1 };
      })
      .start();
    const refused = await p.runOnce({ OTEL_EXPORTER_OTLP_TIMEOUT: '3000' });
    expect(refused.code, refused.stderr).not.toBe(0);
    expect(p.proxy.refusals.length).toBeGreaterThan(0);
    for (const r of p.proxy.refusals) {
      expect(r.status).toBe(503);
      expect(r.body).toContain('data refused due to high memory usage');
    }
    expect(p.proxy.acknowledged).toHaveLength(0);
    expect(p.loki.records).toHaveLength(0);

    await p.collector.stop();
    await p.useConfig('collector', () => {}).start();
    expect(await p.runUntilDone()).toContain(0);
    await untilQuiet(
      p,
      2000,
      60_000,
      entries.map((e) => String(e.app_id)),
    );
    expectExactlyOnce(p, entries);
  });

  it('a request over max_request_body_size is answered 400 "request body too large"; the receiver splits the batch and everything arrives once', async () => {
    const entries = makeEntries(2_000, { prefix: 'big' });
    // Deliberate deviation: a 64 KiB body limit (20 MiB by default), below a 250-record request.
    const limit = 64 * 1024;
    p = await startPipeline({
      binary,
      entries,
      edit: (cfg) => {
        cfg.receivers.otlp.protocols.http.max_request_body_size = limit;
      },
    });
    const codes = await p.runUntilDone({}, 2);
    expect(Math.max(...p.proxy.requestBytes), 'some request was over the limit').toBeGreaterThan(limit);
    const tooLarge = p.proxy.refusals.filter((r) => r.body.includes('request body too large'));
    expect(tooLarge.length).toBeGreaterThan(0);
    expect(tooLarge.every((r) => r.status === 400)).toBe(true);
    expect(codes.at(-1)).toBe(0);
    await untilQuiet(
      p,
      2000,
      60_000,
      entries.map((e) => String(e.app_id)),
    );
    expectExactlyOnce(p, entries);
  });
});
