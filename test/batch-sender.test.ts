/**
 * One batch through `BatchSender`: its outcome is a value (acknowledged, rejected, dead-lettered),
 * the refused records are in the dead-letter file before it resolves, and a batch refused whole is
 * an error, not a file full of letters. The exporter is a stand-in that answers per record.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogRecord } from '@opentelemetry/api-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OtlpExportError, StoppedError } from '../src/core/errors.js';
import type { ReceiverLogger } from '../src/core/types.js';
import { normalizeEntry } from '../src/entry/normalize.js';
import type { ExportAck } from '../src/export/acknowledged-exporter.js';
import { BatchSender, type SendableEntry } from '../src/export/batch-sender.js';
import { recordUid } from '../src/record/mapping.js';
import { sha256Hex } from '../src/entry/fingerprint.js';
import type { AppState } from '../src/inventory/fold.js';
import { DeadLetterFile } from '../src/state/dead-letter-file.js';

const quiet: ReceiverLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function entries(appIds: string[]): SendableEntry[] {
  return appIds.map((app_id, i) => ({
    entry: normalizeEntry({ app_id, user_id: 'U1', date: String(1_700_000_000 + i), change_type: 'added' }),
    occurrence: 0,
    fetchedAtMs: 1_700_000_100_000,
  }));
}

/** Records as the sender hands them over: here, the entries themselves stand in for them. */
const asRecords = (items: SendableEntry[]) => items as unknown as ReadableLogRecord[];
/** Records built by the sender (halves of a split batch, snapshots): a stand-in carrying the record's app_id, as the exporter reads it. */
const standIns = (records: LogRecord[]) =>
  records.map((r) => ({ entry: { fields: { app_id: r.attributes!['slack.integration.app_id'] } } })) as unknown as ReadableLogRecord[];
const appIdOf = (r: ReadableLogRecord) => String((r as unknown as SendableEntry).entry.fields.app_id);

/** A collector that refuses any request holding a `POISON` app (HTTP 400), and may reject some records of what it takes. */
function exporter(options: { rejectEach?: (appId: string) => boolean; refuseAll?: boolean } = {}) {
  const requests: string[][] = [];
  return {
    requests,
    url: 'http://127.0.0.1:4318/v1/logs',
    protocol: 'http/json' as const,
    async deliver(records: ReadableLogRecord[]): Promise<ExportAck> {
      const ids = records.map(appIdOf);
      requests.push(ids);
      if (options.refuseAll || ids.some((id) => id.startsWith('POISON'))) {
        throw new OtlpExportError('http://127.0.0.1:4318/v1/logs', {
          kind: 'split',
          status: 'HTTP 400 Bad Request',
          collectorMessage: 'bad record',
          fix: 'fix it',
        });
      }
      const rejected = ids.filter((id) => options.rejectEach?.(id)).length;
      return { rejectedLogRecords: rejected, ...(rejected ? { errorMessage: 'too old' } : {}) };
    },
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slack-logs-sender-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

function sender(exp: ReturnType<typeof exporter>) {
  const deadLetters = new DeadLetterFile(join(dir, 'cursor.json.dead-letters.jsonl'));
  return {
    deadLetters,
    sender: new BatchSender({ exporter: exp, deadLetters, buildRecords: standIns, timestampPolicy: 'entry', teamId: 'T1', logger: quiet }),
  };
}

describe('BatchSender.send', () => {
  it('a batch the collector takes whole: every record acknowledged, one request, nothing kept', async () => {
    const exp = exporter();
    const { sender: s, deadLetters } = sender(exp);
    const batch = entries(['A1', 'A2', 'A3', 'A4']);
    expect(await s.send(batch, asRecords(batch), new AbortController().signal)).toEqual({ acknowledged: 4, rejected: 0, deadLettered: 0 });
    expect(exp.requests).toEqual([['A1', 'A2', 'A3', 'A4']]);
    expect(await deadLetters.count()).toBe(0);
  });

  it('poison records are split out and kept with their uid; the rest acknowledged in order', async () => {
    const ids = ['A1', 'POISON2', 'A3', 'A4', 'A5', 'POISON6', 'A7', 'A8'];
    const exp = exporter();
    const { sender: s, deadLetters } = sender(exp);
    const batch = entries(ids);
    const poison = batch.filter((b) => String(b.entry.fields.app_id).startsWith('POISON'));
    const delivery = await s.send(batch, asRecords(batch), new AbortController().signal);
    expect(delivery).toEqual({
      acknowledged: ids.length - poison.length,
      rejected: 0,
      deadLettered: poison.length,
      pendingDeadLetters: poison.length,
    });
    // What was acknowledged went in batch order.
    const acknowledged = exp.requests.filter((r) => !r.some((id) => id.startsWith('POISON'))).flat();
    expect(acknowledged).toEqual(ids.filter((id) => !id.startsWith('POISON')));
    const letters = await deadLetters.read();
    expect(letters.map((l) => l['log.record.uid'])).toEqual(poison.map((p) => recordUid(p.entry.fingerprint, 0, 'T1')));
    expect(letters.map((l) => l.status)).toEqual(['HTTP 400 Bad Request', 'HTTP 400 Bad Request']);
    expect((await readFile(deadLetters.path, 'utf8')).trim().split('\n')).toHaveLength(poison.length);
  });

  it('an OTLP partial success: the rejected count travels in the value, nothing is kept', async () => {
    const exp = exporter({ rejectEach: (id) => id.endsWith('2') || id.endsWith('3') });
    const { sender: s, deadLetters } = sender(exp);
    const batch = entries(['A1', 'A2', 'A3', 'A4', 'A5']);
    expect(await s.send(batch, asRecords(batch), new AbortController().signal)).toEqual({ acknowledged: 5, rejected: 2, deadLettered: 0 });
    expect(await deadLetters.count()).toBe(0);
  });

  it('every record refused alone too: an OtlpExportError saying the records are not at fault, no letter written', async () => {
    const exp = exporter({ refuseAll: true });
    const { sender: s, deadLetters } = sender(exp);
    const batch = entries(['A1', 'A2', 'A3']);
    const error = await s.send(batch, asRecords(batch), new AbortController().signal).catch((e: unknown) => e as OtlpExportError);
    expect(error).toBeInstanceOf(OtlpExportError);
    expect((error as OtlpExportError).refusal.kind).toBe('elsewhere');
    expect((error as OtlpExportError).message).toContain('every one of the 3 records was refused on its own too');
    expect(await deadLetters.count()).toBe(0);
  });

  it('shutdown between halves: StoppedError, the batch goes again next run', async () => {
    const exp = exporter();
    const { sender: s } = sender(exp);
    const stop = new AbortController();
    const batch = entries(['A1', 'POISON2', 'A3', 'A4']);
    const deliver = exp.deliver.bind(exp);
    exp.deliver = async (records) => {
      stop.abort();
      return deliver(records);
    };
    await expect(s.send(batch, asRecords(batch), stop.signal)).rejects.toThrow(StoppedError);
    expect(exp.requests).toHaveLength(1);
  });
});

describe('BatchSender.sendSnapshot', () => {
  const app = (app_id: string): AppState => ({
    app_id,
    status: 'active',
    scopes: ['chat:write'],
    last_change: { change_type: 'added', at: 1_700_000_000 },
    timeline: [],
  });
  const TIME_MS = 1_700_000_500_123;

  it('snapshot records refused alone are kept with the snapshot, its time and its uid; the rest acknowledged', async () => {
    const exp = exporter();
    const { sender: s, deadLetters } = sender(exp);
    const apps = ['A1', 'POISON2', 'A3', 'A4'].map(app);
    const delivery = await s.sendSnapshot(apps, TIME_MS);
    expect(delivery).toEqual({ acknowledged: 3, rejected: 0, deadLettered: 1, pendingDeadLetters: 1 });
    expect(exp.requests.filter((r) => !r.includes('POISON2')).flat()).toEqual(['A1', 'A3', 'A4']);
    const [letter, ...more] = await deadLetters.read();
    expect(more).toEqual([]);
    // The uid of a snapshot record: team, app key and snapshot time (docs/inventory.md).
    expect(letter!['log.record.uid']).toBe(sha256Hex(`inventory:T1:app:POISON2:${TIME_MS}`).slice(0, 32));
    expect(letter!.snapshot).toEqual({ app: apps[1], at: new Date(TIME_MS).toISOString() });
    expect(letter!.fetchedAt).toBe('2023-11-14T22:21:40.123Z');
  });

  it('every snapshot record refused alone too: an OtlpExportError, no letter written', async () => {
    const exp = exporter({ refuseAll: true });
    const { sender: s, deadLetters } = sender(exp);
    const error = await s.sendSnapshot(['A1', 'A2'].map(app), TIME_MS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtlpExportError);
    expect((error as OtlpExportError).message).toContain('every inventory snapshot record was refused on its own too');
    expect(await deadLetters.count()).toBe(0);
  });
});
