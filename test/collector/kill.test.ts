import { afterEach, describe, expect, inject, it } from 'vitest';
import { EXPORT_BATCH_SIZE, MAX_RESENT_BATCHES } from '../../src/delivery/pass.js';
import { makeEntries } from '../helpers.js';
import { until } from '../process-helpers.js';
import { type Pipeline, countDelivery, keyOf, startPipeline, untilQuiet } from './pipeline.js';
import { type CollectorConfig, lokiExporterId } from './shipped-config.js';

/**
 * SIGKILL of the Collector in the middle of a backfill, restart on the same queue directory, the
 * receiver run again until it is done; then what reached Loki is counted against what the
 * Collector acknowledged (seen on the wire by the proxy) and against everything Slack holds.
 */
const ENTRIES = 20_000;
const RUNS = 3;
/** Kill once the Collector has acknowledged this many records (at Loki by then: fewer). */
const KILL_AFTER_ACKNOWLEDGED = 8_000;
/** Records per receiver request (the receiver's export batch). */
const REQUEST_RECORDS = EXPORT_BATCH_SIZE;
/**
 * Duplicates one kill may cause: the request the Collector was sending to Loki (one consumer, no
 * batching: one request), re-sent after the restart, plus what the receiver re-sends from its
 * cursor: at most MAX_RESENT_BATCHES batches (the one in flight when the Collector died, which the
 * Collector may have written to its queue without answering, and the one before it, whose cursor
 * save may not have landed).
 */
const DUPLICATES_BOUND = (1 + MAX_RESENT_BATCHES) * EXPORT_BATCH_SIZE;
/**
 * KILL_VARIANT=sending-queue-batch runs the same kill with batching in the Loki exporter's queue
 * (sending_queue.batch), to reproduce the figures in docs/collector.md that show why the shipped
 * configuration does not batch there.
 */
const VARIANT = process.env.KILL_VARIANT;
const withQueueBatching = (cfg: CollectorConfig) => {
  cfg.exporters[lokiExporterId(cfg)].sending_queue.batch = { sizer: 'items', min_size: 512, max_size: 1024, flush_timeout: '1s' };
};

describe('SIGKILL of the Collector mid-backfill (shipped Loki pipeline, persistent queue)', () => {
  let p: Pipeline | undefined;
  afterEach(() => p?.stop());

  const runs = [
    ...Array.from({ length: RUNS }, (_, i) => ({ run: `${i + 1}`, signal: 'SIGKILL' as const })),
    // For comparison: a graceful stop at the same moment.
    { run: 'SIGTERM', signal: 'SIGTERM' as const },
  ];
  for (const { run, signal } of runs) {
    it(`run ${run}: ${ENTRIES} entries, ${signal} after ${KILL_AFTER_ACKNOWLEDGED} acknowledged, restart, rerun: 0 acknowledged records lost`, async () => {
      const entries = makeEntries(ENTRIES, { prefix: `k${run}`, perSecond: 1 });
      p = await startPipeline({
        binary: inject('otelcolBinary'),
        entries,
        edit: VARIANT === 'sending-queue-batch' ? withQueueBatching : undefined,
      });
      // A Loki slower than any receiver until the kill (a request a second: 250 records a second), so the
      // Collector's queue holds acknowledged records when it dies, however fast the machine.
      p.loki.delayMs = 1_000;
      const t0 = Date.now();
      let firstDone = false;
      const first = p.runOnce().finally(() => (firstDone = true));
      while (p.proxy.acknowledged.length < KILL_AFTER_ACKNOWLEDGED && !firstDone) await new Promise((r) => setTimeout(r, 2));
      expect(firstDone, 'the receiver was still sending at the kill').toBe(false);
      await (signal === 'SIGKILL' ? p.collector.kill() : p.collector.stop());
      const acknowledgedAtKill = new Set(p.proxy.acknowledged.map(keyOf));
      const atLokiAtKill = new Set(p.loki.records.map(keyOf));
      const queuedAtKill = [...acknowledgedAtKill].filter((k) => !atLokiAtKill.has(k)).length;
      await new Promise((r) => setTimeout(r, 500));
      // Loki takes in what it was handed before the Collector is back, as a Loki quicker than a restart does.
      await until(() => p!.loki.taking === 0, 30_000);
      p.loki.delayMs = 100;
      await p.collector.start();
      const codes = [(await first).code ?? -1];
      if (codes[0] !== 0) codes.push(...(await p.runUntilDone()));
      const expected = entries.map((e) => String(e.app_id));
      await untilQuiet(p, 3000, 120_000, expected);

      const count = countDelivery(p.loki.records, expected);
      const acknowledged = new Set(p.proxy.acknowledged.map(keyOf));
      const atLoki = new Set(p.loki.records.map(keyOf));
      const lost = [...acknowledged].filter((k) => !atLoki.has(k));
      // Copies Loki refused as too far behind although it had the record: duplicates, harmless.
      const refusedCopies = p.loki.tooFarBehind.filter((a) => atLoki.has(keyOf(a.record))).length;
      // First arrivals that came after a newer record of their stream, and how far behind.
      let newest = 0n;
      let backwards = 0;
      let maxBehind = 0n;
      const seen = new Set<string>();
      for (const a of p.loki.arrived) {
        const k = keyOf(a.record);
        if (seen.has(k)) continue;
        seen.add(k);
        if (a.record.timeUnixNano < newest) {
          backwards++;
          if (newest - a.record.timeUnixNano > maxBehind) maxBehind = newest - a.record.timeUnixNano;
        } else newest = a.record.timeUnixNano;
      }
      console.log(
        `${signal === 'SIGKILL' ? 'kill -9' : 'graceful stop'} run ${run}${VARIANT ? ` (${VARIANT})` : ''}: entries=${ENTRIES} acknowledged_at_kill=${acknowledgedAtKill.size} at_loki_at_kill=${atLokiAtKill.size} ` +
          `queued_at_kill=${queuedAtKill} lost=${lost.length} missing=${count.missing.length} ` +
          `duplicated=${count.duplicates + refusedCopies} (kept_by_loki=${count.duplicates} refused_too_far_behind=${refusedCopies}) refused_first_copies=${p.loki.tooFarBehind.length - refusedCopies} ` +
          `uid_mismatches=${count.uidMismatches.length} first_arrivals_backwards=${backwards} max_behind_s=${maxBehind / 1_000_000_000n} ` +
          `receiver_exit_codes=${codes.join(',')} seconds=${((Date.now() - t0) / 1000).toFixed(1)}`,
      );
      expect(queuedAtKill, 'the kill caught acknowledged records still in the queue').toBeGreaterThan(0);
      // Nothing the Collector acknowledged is missing at Loki, nor anything else Slack holds; what
      // Loki refused as too far behind were copies of records it already had.
      expect(lost).toEqual([]);
      expect(count.missing).toEqual([]);
      expect(count.uidMismatches).toEqual([]);
      expect(p.loki.tooFarBehind.every((a) => atLoki.has(keyOf(a.record)))).toBe(true);
      expect(count.duplicates + refusedCopies).toBeLessThanOrEqual(DUPLICATES_BOUND);
      // The first copy of every record arrived in time order (one stream): only copies went back.
      expect(backwards).toBe(0);
    });
  }
});

describe('known limitation: kill -9 while Loki is down and the queue holds more than an hour of a stream', () => {
  let p: Pipeline | undefined;
  afterEach(() => p?.stop());

  // After a crash the Collector's persistent queue puts the requests it was sending behind the
  // rest of the queue (exporterhelper's persistent queue, v0.161.0). Loki refuses an entry more
  // than an hour behind the newest of its stream. So the one request the Collector was retrying
  // when it died reaches Loki after newer ones and is refused: docs/collector.md says when that
  // can happen and what to do. This test pins the size of it: one request, named in the log.
  it('the request in flight is re-sent behind the queue and Loki refuses it; nothing else is lost', async () => {
    const entries = makeEntries(6_000, { prefix: 'down', perSecond: 1 }); // 100 minutes of one stream
    p = await startPipeline({ binary: inject('otelcolBinary'), entries });
    p.loki.downStatus = 503;
    expect((await p.runOnce()).code).toBe(0); // the Collector acknowledged everything
    await until(() => p!.loki.requests > 0, 30_000); // its exporter holds the first request, retrying
    await p.collector.kill();
    p.loki.downStatus = undefined;
    await p.collector.start();
    await untilQuiet(
      p,
      3000,
      120_000,
      entries.map((e) => String(e.app_id)),
    );

    const count = countDelivery(
      p.loki.records,
      entries.map((e) => String(e.app_id)),
    );
    const refusedKeys = [...new Set(p.loki.tooFarBehind.map((a) => keyOf(a.record)))];
    console.log(
      `kill -9 while Loki down: entries=${entries.length} acknowledged=${p.proxy.acknowledged.length} missing=${count.missing.length} ` +
        `refused_too_far_behind=${p.loki.tooFarBehind.length} duplicated=${count.duplicates}`,
    );
    expect(p.proxy.acknowledged).toHaveLength(entries.length);
    // The records missing at Loki are exactly those it refused: the first request, the oldest records.
    expect(count.missing.sort()).toEqual(refusedKeys.sort());
    expect(count.missing.length).toBeGreaterThan(0);
    expect(count.missing.length).toBeLessThanOrEqual(REQUEST_RECORDS);
    expect(count.missing.sort()).toEqual(
      entries
        .slice(0, count.missing.length)
        .map((e) => String(e.app_id))
        .sort(),
    );
    // The Collector says so in its log: the only trace of it.
    expect(p.collector.output).toContain('Exporting failed. Dropping data.');
    expect(p.collector.output).toContain('entry too far behind');
  });
});
