import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../src/demo/otlp-receiver.js';
import { AcknowledgedExporter, OtlpExportError, type ExportAck } from '../src/export/acknowledged-exporter.js';
import { RecordBuilder } from '../src/record/builder.js';

/** The acknowledged exporter: how many exports are on the wire, and whose answer is whose. */

const settings = { url: 'http://127.0.0.1:9/v1/logs', headers: {}, timeoutMillis: 5_000, compression: 'none' as const };
const builder = new RecordBuilder(resourceFromAttributes({ 'service.name': 'export-test' }), { name: 'export-test', version: '0' });
const records = (n: number, tag: string): ReadableLogRecord[] =>
  builder.build(Array.from({ length: n }, (_, i) => ({ body: `${tag}${i}`, attributes: { tag } })));

/** An OTel exporter whose exports the test finishes by hand. */
class HeldExporter implements LogRecordExporter {
  readonly started: Array<{ tag: string; finish: (result: ExportResult) => void }> = [];
  inFlight = 0;
  maxInFlight = 0;
  export(batch: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.started.push({
      tag: String(batch[0]!.attributes.tag),
      finish: (result) => {
        this.inFlight--;
        done(result);
      },
    });
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

const tick = () => new Promise((r) => setImmediate(r));
const collectors: OtlpReceiver[] = [];
afterEach(async () => {
  for (const c of collectors.splice(0)) await c.stop();
});

describe('acknowledged exporter', () => {
  it('keeps at most maxInFlight exports on the wire, whoever asks, and starts the rest in order', async () => {
    const held = new HeldExporter();
    const exporter = new AcknowledgedExporter(settings, 2, held);
    const acks = ['a', 'b', 'c', 'd', 'e'].map((tag) => exporter.export(records(2, tag)));
    const settled = Promise.allSettled(acks);
    await tick();
    expect(held.started.map((s) => s.tag)).toEqual(['a', 'b']);

    held.started[1]!.finish({ code: ExportResultCode.SUCCESS });
    await tick();
    expect(held.started.map((s) => s.tag)).toEqual(['a', 'b', 'c']);
    held.started[0]!.finish({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED') });
    await tick();
    expect(held.started.map((s) => s.tag)).toEqual(['a', 'b', 'c', 'd']);
    held.started[2]!.finish({ code: ExportResultCode.SUCCESS });
    await tick();
    held.started[3]!.finish({ code: ExportResultCode.SUCCESS });
    await tick();
    held.started[4]!.finish({ code: ExportResultCode.SUCCESS });

    const results = await settled;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(OtlpExportError);
    expect(String((results[0] as PromiseRejectedResult).reason.message)).toContain('ECONNREFUSED');
    expect(held.maxInFlight).toBe(2);
  });

  it("a partial success belongs to its own request, when two are in flight and answers cross", async () => {
    const collector = await new OtlpReceiver().start();
    collectors.push(collector);
    // The first request to arrive is answered late, with a partial success; the second at once.
    collector.enqueue({ partialSuccess: { rejectedLogRecords: 1, errorMessage: 'one too old' }, delayMs: 300 });
    const exporter = new AcknowledgedExporter({ ...settings, url: collector.url }, 2);
    const answered: Array<{ tag: string; ack: ExportAck }> = [];
    const send = (tag: string, n: number) => exporter.export(records(n, tag)).then((ack) => answered.push({ tag, ack }));
    await Promise.all([send('x', 3), send('y', 5)]);
    await exporter.shutdown();

    expect(collector.records).toHaveLength(8);
    // Answered second: the delayed one, which carried the partial success; the other saw none.
    expect(answered[0]!.ack).toEqual({ rejectedLogRecords: 0 });
    expect(answered[1]!.ack).toEqual({ rejectedLogRecords: 1, errorMessage: 'one too old' });
    expect(exporter.partialSuccessVisible).toBe(true);
  });
});
