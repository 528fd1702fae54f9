/**
 * Splitting on its own (src/export/split-delivery.ts): a `send` that refuses any request holding a
 * poison record, and a log of the requests it saw. The expected requests, in order, are written
 * out by hand: halving (the first half takes the odd one), a record refused alone, partial
 * successes capped at their request, and a refusal that is not about the records stopping the
 * splitting between halves.
 */
import { describe, expect, it } from 'vitest';
import type { ExportAck } from '../src/export/acknowledged-exporter.js';
import { deliverSplitting } from '../src/export/split-delivery.js';
import { OtlpExportError, type Refusal } from '../src/core/errors.js';

const URL = 'http://127.0.0.1:4318/v1/logs';
const BAD_RECORD: Refusal = { kind: 'split', status: 'HTTP 400 Bad Request', collectorMessage: 'bad record', fix: 'split' };
const DOWN: Refusal = { kind: 'retryable', status: 'no answer (ECONNREFUSED)', fix: 'check the collector' };
const WRONG_KEY: Refusal = { kind: 'elsewhere', status: 'HTTP 401 Unauthorized', fix: 'check the credentials' };

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * A collector: refuses (split) every request holding a record in `poison`; answers `acks` in turn
 * to the requests it accepts (then plain acks); `failOn(part)` may throw instead.
 */
function collector(options: { poison?: number[]; acks?: ExportAck[]; failOn?: (part: number[]) => Error | undefined } = {}) {
  const sent: number[][] = [];
  const acks = [...(options.acks ?? [])];
  const send = async (part: number[]): Promise<ExportAck> => {
    sent.push(part);
    const failure = options.failOn?.(part);
    if (failure) throw failure;
    if (part.some((n) => options.poison?.includes(n))) throw new OtlpExportError(URL, BAD_RECORD);
    return acks.shift() ?? { rejectedLogRecords: 0 };
  };
  return { sent, send };
}

describe('halving', () => {
  it('a batch the collector takes: one request, every record acknowledged', async () => {
    const c = collector();
    const outcome = await deliverSplitting(range(1, 8), c.send);
    expect(c.sent).toEqual([range(1, 8)]);
    expect(outcome).toEqual({ acknowledged: 8, rejected: 0, refused: [], requests: 1 });
  });

  it('one poison record in eight: halves, then halves of the refused half, until it is alone', async () => {
    const c = collector({ poison: [6] });
    const outcome = await deliverSplitting(range(1, 8), c.send);
    expect(c.sent).toEqual([range(1, 8), [1, 2, 3, 4], [5, 6, 7, 8], [5, 6], [5], [6], [7, 8]]);
    expect(outcome).toEqual({ acknowledged: 7, rejected: 0, refused: [{ item: 6, refusal: BAD_RECORD }], requests: 7 });
  });

  it('an odd count: the first half takes the extra record', async () => {
    const c = collector({ poison: [5] });
    const outcome = await deliverSplitting(range(1, 5), c.send);
    expect(c.sent).toEqual([range(1, 5), [1, 2, 3], [4, 5], [4], [5]]);
    expect(outcome.acknowledged).toBe(4);
    expect(outcome.refused.map((r) => r.item)).toEqual([5]);
  });

  it('poison in both halves and side by side: each refused alone, the others acknowledged, in batch order', async () => {
    const c = collector({ poison: [2, 3, 7] });
    const outcome = await deliverSplitting(range(1, 8), c.send);
    expect(c.sent).toEqual([range(1, 8), [1, 2, 3, 4], [1, 2], [1], [2], [3, 4], [3], [4], [5, 6, 7, 8], [5, 6], [7, 8], [7], [8]]);
    expect(outcome).toEqual({
      acknowledged: 5,
      rejected: 0,
      refused: [2, 3, 7].map((item) => ({ item, refusal: BAD_RECORD })),
      requests: 13,
    });
  });

  it('the acknowledged requests, read in order, hold the batch without the refused records: order holds', async () => {
    const c = collector({ poison: [4, 9] });
    await deliverSplitting(range(1, 10), c.send);
    const acknowledged = c.sent.filter((part) => !part.some((n) => n === 4 || n === 9));
    expect(acknowledged.flat()).toEqual([1, 2, 3, 5, 6, 7, 8, 10]);
  });
});

describe('refused alone', () => {
  it('a batch of one the collector refuses: one request, refused with its refusal', async () => {
    const c = collector({ poison: [1] });
    expect(await deliverSplitting([1], c.send)).toEqual({
      acknowledged: 0,
      rejected: 0,
      refused: [{ item: 1, refusal: BAD_RECORD }],
      requests: 1,
    });
  });

  it('every record refused: each one tried alone, all left over in order', async () => {
    const c = collector({ poison: [1, 2, 3, 4] });
    const outcome = await deliverSplitting(range(1, 4), c.send);
    expect(c.sent).toEqual([range(1, 4), [1, 2], [1], [2], [3, 4], [3], [4]]);
    expect(outcome.acknowledged).toBe(0);
    expect(outcome.refused.map((r) => r.item)).toEqual([1, 2, 3, 4]);
    expect(outcome.requests).toBe(7);
  });
});

describe('partial success', () => {
  it('counted, capped at the records of its own request, with the collector message', async () => {
    // Requests accepted: [1,2,3,4] claims 9 rejected (capped at 4), [7,8] claims 1.
    const c = collector({
      poison: [6],
      acks: [
        { rejectedLogRecords: 9, errorMessage: 'too old' },
        { rejectedLogRecords: 0 },
        { rejectedLogRecords: 1, errorMessage: 'too long' },
      ],
    });
    const outcome = await deliverSplitting(range(1, 8), c.send);
    expect(outcome).toMatchObject({ acknowledged: 7, rejected: 5, rejectedMessage: 'too long' });
  });

  it('a later partial success without a message keeps the earlier message', async () => {
    const c = collector({
      poison: [3],
      acks: [{ rejectedLogRecords: 1, errorMessage: 'too old' }, { rejectedLogRecords: 1 }],
    });
    const outcome = await deliverSplitting(range(1, 4), c.send);
    expect(c.sent).toEqual([range(1, 4), [1, 2], [3, 4], [3], [4]]);
    expect(outcome).toMatchObject({ acknowledged: 3, rejected: 2, rejectedMessage: 'too old' });
  });

  it('none: no message', async () => {
    const outcome = await deliverSplitting(range(1, 3), collector().send);
    expect(outcome.rejectedMessage).toBeUndefined();
  });
});

describe('a refusal that is not about the records stops the splitting', () => {
  it.each<[string, Refusal]>([
    ['the collector down', DOWN],
    ['wrong credentials', WRONG_KEY],
  ])('%s on the second half: thrown as is, and no request after it', async (_name, refusal) => {
    const thrown = new OtlpExportError(URL, refusal);
    const c = collector({ poison: [2], failOn: (part) => (part[0] === 5 ? thrown : undefined) });
    const error = await deliverSplitting(range(1, 8), c.send).catch((e: unknown) => e);
    expect(error).toBe(thrown);
    // [1..4] was split and its good records acknowledged before [5..8] met the refusal.
    expect(c.sent).toEqual([range(1, 8), [1, 2, 3, 4], [1, 2], [1], [2], [3, 4], [5, 6, 7, 8]]);
  });

  it('on the first request: thrown, nothing else sent', async () => {
    const thrown = new OtlpExportError(URL, DOWN);
    const c = collector({ failOn: () => thrown });
    await expect(deliverSplitting(range(1, 8), c.send)).rejects.toBe(thrown);
    expect(c.sent).toEqual([range(1, 8)]);
  });

  it('an error that is not an OTLP refusal (a bug, a TypeError): thrown as is, not split', async () => {
    const bug = new TypeError('cannot serialize');
    const c = collector({ failOn: () => bug });
    await expect(deliverSplitting(range(1, 4), c.send)).rejects.toBe(bug);
    expect(c.sent).toEqual([range(1, 4)]);
  });
});
