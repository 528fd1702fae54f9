/**
 * Measures one async run inside the current process: wall time, peak heap and RSS growth, and
 * event-loop delay. Needs --expose-gc.
 *
 * - Heap / RSS growth: peak during the run minus the value after a full gc() just before the run.
 *   The heap peak is the larger of process.memoryUsage() sampled every HEAP_SAMPLE_MS and the used
 *   heap v8.GCProfiler saw just before each GC (where the peak is); RSS is sampled only.
 *   Also: live heap (largest heap right after a full GC, minus before) and retained heap (after a
 *   full gc() following the run, minus before).
 * - Event-loop delay, two ways:
 *   1. perf_hooks.monitorEventLoopDelay({ resolution: 10 }). Its samples are the time between two
 *      of its timer ticks, so an idle loop reads ~10 ms; the delay is that minus the resolution.
 *   2. a setInterval(…, 10) sampler: how late each tick fired compared with the one before.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { GCProfiler } from 'node:v8';

export const ELD_RESOLUTION_MS = 10;
const LAG_SAMPLE_MS = 10;
const HEAP_SAMPLE_MS = 20;
const MB = 2 ** 20;
const LONG_LAG_MS = 30;

function fullGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  globalThis.gc();
  globalThis.gc();
}

export async function measure(fn) {
  fullGc();
  const before = process.memoryUsage();
  let peakHeapUsed = before.heapUsed;
  let peakHeapTotal = before.heapTotal;
  let peakRss = before.rss;
  let peakExternal = before.external + before.arrayBuffers;
  let heapSamples = 0;
  const sampleMemory = () => {
    const m = process.memoryUsage();
    heapSamples++;
    if (m.heapUsed > peakHeapUsed) peakHeapUsed = m.heapUsed;
    if (m.heapTotal > peakHeapTotal) peakHeapTotal = m.heapTotal;
    if (m.rss > peakRss) peakRss = m.rss;
    if (m.external + m.arrayBuffers > peakExternal) peakExternal = m.external + m.arrayBuffers;
  };

  // Every GC of the run with the heap before and after it (v8.GCProfiler): the exact peak (the heap
  // is largest just before a GC), GC pauses, and the heap right after each full GC (what is live).
  const gcProfiler = new GCProfiler();
  gcProfiler.start();

  const lags = [];
  const longLags = [];
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const lagTimer = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const lag = Math.max(0, now - last - LAG_SAMPLE_MS);
    lags.push(lag);
    if (lag >= LONG_LAG_MS) {
      // CPU this process used during the stall: about the stall's length when our own code (or GC)
      // ran all along; much less when the process was waiting for a core (the machine is shared).
      const cpuMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
      longLags.push({ atMs: Math.round(last - t0), lagMs: Math.round(lag * 10) / 10, cpuMs: Math.round(cpuMs) });
    }
    last = now;
    lastCpu = cpu;
  }, LAG_SAMPLE_MS);
  const heapTimer = setInterval(sampleMemory, HEAP_SAMPLE_MS);
  const histogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const t0Hr = process.hrtime.bigint(); // same clock as --cpu-prof timestamps: lines stalls up with a profile
  histogram.enable();

  let result;
  let error;
  try {
    result = await fn();
  } catch (e) {
    error = e;
  }
  const wallMs = performance.now() - t0;
  const cpuUsed = process.cpuUsage(cpu0);
  histogram.disable();
  clearInterval(lagTimer);
  clearInterval(heapTimer);
  sampleMemory();
  const gcStats = gcProfiler.stop()?.statistics ?? [];
  fullGc();
  const after = process.memoryUsage();
  if (error) throw error;

  const gcs = { count: gcStats.length, major: 0, totalMs: 0, maxMs: 0, maxKind: '' };
  let liveAfterMajor = before.heapUsed;
  let peakGc;
  for (const g of gcStats) {
    if (!peakGc || g.beforeGC.heapStatistics.usedHeapSize > peakGc.beforeGC.heapStatistics.usedHeapSize) peakGc = g;
    const costMs = (g.cost ?? 0) / 1000;
    gcs.totalMs += costMs;
    if (costMs > gcs.maxMs) {
      gcs.maxMs = costMs;
      gcs.maxKind = g.gcType;
    }
    peakHeapUsed = Math.max(peakHeapUsed, g.beforeGC.heapStatistics.usedHeapSize);
    if (g.gcType === 'MarkSweepCompact') {
      gcs.major++;
      liveAfterMajor = Math.max(liveAfterMajor, g.afterGC.heapStatistics.usedHeapSize);
    }
  }
  const ms = (ns) => ns / 1e6;
  const late = (ns) => Math.max(0, ms(ns) - ELD_RESOLUTION_MS);
  lags.sort((a, b) => a - b);
  const pct = (arr, p) => (arr.length ? arr[Math.min(arr.length - 1, Math.ceil((p / 100) * arr.length) - 1)] : 0);
  return {
    result,
    wallMs,
    // CPU of this process (all its threads: main, GC helpers, libuv pool) during the run
    cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
    startHrtimeUs: Number(t0Hr / 1000n),
    heapBeforeMB: before.heapUsed / MB,
    heapGrowthMB: (peakHeapUsed - before.heapUsed) / MB,
    heapTotalGrowthMB: (peakHeapTotal - before.heapTotal) / MB,
    rssGrowthMB: (peakRss - before.rss) / MB,
    externalGrowthMB: (peakExternal - before.external - before.arrayBuffers) / MB,
    liveHeapGrowthMB: (liveAfterMajor - before.heapUsed) / MB,
    retainedHeapMB: (after.heapUsed - before.heapUsed) / MB,
    heapSamples,
    // where the heap was at its fullest (just before that GC), by V8 space, MB
    peakHeapBySpaceMB: peakGc
      ? Object.fromEntries(
          peakGc.beforeGC.heapSpaceStatistics
            .filter((sp) => sp.spaceUsedSize > 0)
            .map((sp) => [sp.spaceName, Math.round((sp.spaceUsedSize / MB) * 10) / 10]),
        )
      : undefined,
    gc: { ...gcs, totalMs: Math.round(gcs.totalMs), maxMs: Math.round(gcs.maxMs * 10) / 10 },
    eld: {
      // histogram is empty when the run was shorter than one resolution tick
      maxMs: histogram.count ? late(histogram.max) : 0,
      p99Ms: histogram.count ? late(histogram.percentile(99)) : 0,
      meanMs: histogram.count ? late(histogram.mean) : 0,
      rawMaxMs: histogram.count ? ms(histogram.max) : 0,
      samples: histogram.count,
    },
    lag: {
      maxMs: lags.length ? lags[lags.length - 1] : 0,
      p99Ms: pct(lags, 99),
      samples: lags.length,
      over50: lags.filter((l) => l > 50).length,
      // the longest stalls, with when they began (ms into the run)
      longest: longLags.sort((a, b) => b.lagMs - a.lagMs).slice(0, 5),
    },
  };
}
