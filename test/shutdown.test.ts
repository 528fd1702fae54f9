import { describe, expect, it } from 'vitest';
import { CLI, spawnNode, startLocalServers } from './process-helpers.js';
import { expectExactlyOnce, harnessPerTest, makeEntries, TEST_TOKEN, waitFor, savedCursor } from './helpers.js';

/**
 * Stopping the receiver mid-work: a shutdown keeps the cursor lock until the export in flight ends,
 * SIGTERM ends a long rate-limit wait at once, a receiver that was shut down stays shut, and no
 * request starts after shutdown() returns, even in the middle of splitting a batch.
 */

const harness = harnessPerTest();

describe('shutdown while an export waits for a slow collector', () => {
  it('keeps the cursor lock until the export ends, so a second receiver cannot export the batch again', async () => {
    const entries = makeEntries(30);
    const h = await harness.start({ entries });
    h.collector.enqueue({ delayMs: 2_500 });
    const a = h.receiver({ backfillStartTime: 0, otlpTimeoutMillis: 5_000 });
    const pass = a.syncOnce().catch((e: Error) => e);
    // Shut down once the export is held by the collector (2.5 s: B waits up to 7 s for the lock, A's export 5 s).
    await waitFor(() => h.collector.requests >= 1, 30_000, 'the export to reach the collector');
    await a.shutdown({ timeoutMillis: 300 });
    const b = h.receiver({ backfillStartTime: 0 });
    const second = await b.syncOnce(); // waits for the lock, then finds nothing new
    await pass;
    expect(second.exported).toBe(0);
    expectExactlyOnce(h.collector.records, entries);
  });
});

describe('signals during a long wait', () => {
  it('SIGTERM during a 429 wait stops the CLI within seconds, exit 0', async () => {
    const servers = await startLocalServers(TEST_TOKEN, makeEntries(3));
    try {
      servers.slack.enqueue({ status: 429, headers: { 'retry-after': '30' }, body: '' });
      const cli = spawnNode([CLI], servers.env());
      await waitFor(() => cli.stderr().includes('waiting 30s'), 30_000, 'the CLI to announce the wait');
      const at = Date.now();
      cli.child.kill('SIGTERM');
      expect(await cli.exit).toEqual({ code: 0, signal: null });
      // Far below the 30 s it would otherwise wait, far above the typical 0.4 s.
      expect(Date.now() - at).toBeLessThan(15_000);
      expect(servers.slack.requests).toHaveLength(1);
    } finally {
      await servers.stop();
    }
  });
});

describe('after shutdown', () => {
  it('a receiver that was shut down refuses to start or sync again, instead of exporting nothing', async () => {
    const h = await harness.start({ entries: makeEntries(2) });
    const receiver = h.receiver({ backfillStartTime: 0 });
    await receiver.syncOnce();
    await receiver.shutdown();
    await expect(receiver.start()).rejects.toThrow('was shut down: create a new one');
    await expect(receiver.syncOnce()).rejects.toThrow('was shut down: create a new one');
  });
});

describe('shutdown during bisection', () => {
  it('after shutdown() returns, no new OTLP request starts (the bisection stops at the request in flight)', async () => {
    const entries = makeEntries(250);
    const h = await harness.start({ entries });
    // Every record refused alone: 499 requests of bisection, 20 ms each.
    h.collector.refuseRecord = () => true;
    h.collector.delayMs = 20;
    const r = h.receiver({ backfillStartTime: 0, pageSize: 1000 });
    await r.start({ keepProcessAlive: false });
    await waitFor(() => h.collector.requests >= 5, 10_000, 'the bisection to start');
    await r.shutdown({ timeoutMillis: 200 });
    const atShutdown = h.collector.requests;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    console.log(`shutdown during bisection: ${atShutdown} requests when shutdown() returned, ${h.collector.requests} one second later`);
    expect(h.collector.requests - atShutdown).toBeLessThanOrEqual(1);
    expect(savedCursor((await h.cursorText())!).position.date).toBe(0);
  }, 30_000);
});
