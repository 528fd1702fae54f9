/**
 * Attack: OTLP partial success over each protocol, combined with splitting, and during a replay of
 * dead letters; and shutdown while a batch is being bisected.
 */
import { describe, expect, it } from 'vitest';
import { deadLetterFileFor } from '../src/state/dead-letter-file.js';
import { appIdOf, harnessPerTest, makeEntries, readDeadLetters, waitFor, type Harness } from './helpers.js';
import type { Protocol } from './otlp/transports.js';

const harness = harnessPerTest();
let h: Harness;

describe('attack: partial success', () => {
  it.each<Protocol>(['http/json', 'http/protobuf', 'grpc'])(
    'over %s: a partial success on a split half is counted, capped at that half',
    async (protocol) => {
      const entries = makeEntries(8);
      h = await harness.start({ entries, protocol });
      // The whole batch is refused (split); its first half (4) answered with "99 rejected"; the rest plain.
      h.collector.enqueue(
        { status: protocol === 'grpc' ? 3 : 400, body: 'too big' },
        { partialSuccess: { rejectedLogRecords: 99, errorMessage: 'too old' } },
      );
      const summary = await h.receiver({ backfillStartTime: 0 }).syncOnce();
      expect(summary.rejectedByCollector).toBe(4);
      expect(summary.exported).toBe(8);
      expect(h.collector.records).toHaveLength(8);
    },
  );

  it('a replay whose request the collector answers with a partial success: the rejected letters are not reported delivered and removed', async () => {
    const entries = makeEntries(6);
    h = await harness.start({ entries });
    h.collector.refuseRecord = (r) => appIdOf(r) === 'A00003';
    const r = h.receiver({ backfillStartTime: 0 });
    await r.syncOnce();
    const file = deadLetterFileFor(h.cursorFile);
    expect(readDeadLetters(file)).toHaveLength(1);
    h.collector.refuseRecord = undefined;
    // The collector takes the request but rejects its one record (e.g. too old for its limits).
    h.collector.enqueue({ partialSuccess: { rejectedLogRecords: 1, errorMessage: 'timestamp too old' } });
    const [result] = await r.replayDeadLetters();
    // Either kept for another replay, or at least not reported as delivered.
    const kept = readDeadLetters(file).length;
    expect({ delivered: result!.delivered, kept }).not.toEqual({ delivered: 1, kept: 0 });
  });
});

describe('attack: shutdown during bisection', () => {
  it('after shutdown() returns, no new OTLP request starts (the bisection stops at the request in flight)', async () => {
    const entries = makeEntries(250);
    h = await harness.start({ entries });
    // Every record refused alone: 499 requests of bisection, 20 ms each.
    h.collector.refuseRecord = () => true;
    h.collector.delayMs = 20;
    const r = h.receiver({ backfillStartTime: 0, pageSize: 1000 });
    await r.start({ keepProcessAlive: false });
    await waitFor(() => h!.collector.requests >= 5, 10_000, 'the bisection to start');
    await r.shutdown({ timeoutMillis: 200 });
    const atShutdown = h.collector.requests;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    console.log(`shutdown during bisection: ${atShutdown} requests when shutdown() returned, ${h.collector.requests} one second later`);
    expect(h.collector.requests - atShutdown).toBeLessThanOrEqual(1);
    expect(JSON.parse((await h.cursorText())!).position.date).toBe(0);
  }, 30_000);
});
