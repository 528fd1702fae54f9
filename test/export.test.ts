import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { AcknowledgedExporter, type ExportAck } from '../src/export/acknowledged-exporter.js';
import { collectorMessageOf } from '../src/export/refusal.js';
import { RecordBuilder } from '../src/record/builder.js';
import type { OtlpProtocol } from '../src/config/otlp.js';
import { startFakeCollector, type RunningCollector } from '../src/testing/start-fake-collector.js';
import { OtlpExportError } from '../src/core/errors.js';

/**
 * The acknowledged exporter over each OTLP protocol, with the real OTel exporter pieces against
 * local collectors that decode what they get: what arrives, how many requests are on the wire,
 * whose answer is whose, and what a refusal says.
 */

const PROTOCOLS: OtlpProtocol[] = ['http/json', 'http/protobuf', 'grpc'];
const builder = new RecordBuilder(resourceFromAttributes({ 'service.name': 'export-test' }), { name: 'export-test', version: '0' });
const records = (n: number, tag: string): ReadableLogRecord[] =>
  builder.build(
    Array.from({ length: n }, (_, i) => ({
      body: `${tag}${i}`,
      timestamp: [1_700_000_000 + i, 0],
      attributes: { tag, i, 'log.record.uid': `${tag}-${i}` },
    })),
  );

const collectors: RunningCollector[] = [];
const exporters: AcknowledgedExporter[] = [];
afterEach(async () => {
  for (const e of exporters.splice(0)) await e.shutdown();
  for (const c of collectors.splice(0)) await c.stop();
});

async function setup(protocol: OtlpProtocol, maxInFlight = 2) {
  const running = await startFakeCollector(protocol);
  collectors.push(running);
  const exporter = new AcknowledgedExporter(
    { protocol, url: running.endpoint, headers: {}, timeoutMillis: 5_000, compression: 'none' },
    maxInFlight,
  );
  exporters.push(exporter);
  return { receiver: running.collector, exporter };
}

describe.each(PROTOCOLS)('acknowledged exporter over %s', (protocol) => {
  it('delivers the records as built: body, attributes, time in nanoseconds', async () => {
    const { receiver, exporter } = await setup(protocol);
    expect(await exporter.deliver(records(3, 'a'))).toEqual({ rejectedLogRecords: 0 });
    expect(receiver.records.map((r) => [r.body, r.attributes.tag, r.attributes.i, r.timeUnixNano])).toEqual([
      ['a0', 'a', 0, 1_700_000_000_000_000_000n],
      ['a1', 'a', 1, 1_700_000_001_000_000_000n],
      ['a2', 'a', 2, 1_700_000_002_000_000_000n],
    ]);
    expect(receiver.records[0]!.resource['service.name']).toBe('export-test');
  });

  it('records serialized ahead arrive as built, the later use of the records changing nothing', async () => {
    const { receiver, exporter } = await setup(protocol);
    const built = records(2, 's');
    const serialized = exporter.serialize(built);
    expect(serialized.length).toBe(2);
    // What is sent was fixed when it was serialized.
    (built[0]!.attributes as Record<string, unknown>).tag = 'changed';
    expect(await exporter.deliver(serialized)).toEqual({ rejectedLogRecords: 0 });
    expect(receiver.records.map((r) => [r.body, r.attributes.tag, r.attributes.i, r.timeUnixNano])).toEqual([
      ['s0', 's', 0, 1_700_000_000_000_000_000n],
      ['s1', 's', 1, 1_700_000_001_000_000_000n],
    ]);
  });

  it('records that cannot be serialized ahead fail when sent, as records that cannot be serialized then', async () => {
    const { receiver, exporter } = await setup(protocol);
    const broken = (): ReadableLogRecord[] => {
      const [record] = records(1, 'b');
      return [
        Object.create(record!, {
          body: {
            get: () => {
              throw new Error('no body today');
            },
          },
        }) as ReadableLogRecord,
      ];
    };
    const serialized = exporter.serialize(broken());
    expect(serialized.body).toBeUndefined();
    const ahead = (await exporter.deliver(serialized).catch((e: unknown) => e)) as OtlpExportError;
    const now = (await exporter.deliver(broken()).catch((e: unknown) => e)) as OtlpExportError;
    expect(ahead).toBeInstanceOf(OtlpExportError);
    expect(ahead.message).toContain('no body today');
    expect(ahead.message).toBe(now.message);
    expect(receiver.records).toHaveLength(0);
    // The place on the wire was given back: the next request goes.
    expect(await exporter.deliver(exporter.serialize(records(1, 'n')))).toEqual({ rejectedLogRecords: 0 });
    expect(receiver.records.map((r) => r.body)).toEqual(['n0']);
  });

  it('keeps at most maxInFlight requests on the wire, whoever asks, and answers each', async () => {
    const { receiver, exporter } = await setup(protocol, 2);
    // Long enough that all five are asked for before the first answer, however busy the machine.
    receiver.delayMs = 500;
    const acks = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((tag) => exporter.deliver(records(2, tag))));
    expect(acks).toHaveLength(5);
    expect(receiver.records).toHaveLength(10);
    expect(receiver.maxConcurrentPerStream).toBe(2);
  });

  it('a partial success belongs to its own request, when two are in flight and answers cross', async () => {
    const { receiver, exporter } = await setup(protocol, 2);
    // The first request to arrive is answered late, with a partial success; the second at once.
    receiver.enqueue({ partialSuccess: { rejectedLogRecords: 1, errorMessage: 'one too old' }, delayMs: 1_000 });
    const answered: Array<{ tag: string; ack: ExportAck }> = [];
    const send = (tag: string, n: number) => exporter.deliver(records(n, tag)).then((ack) => answered.push({ tag, ack }));
    await Promise.all([send('x', 3), send('y', 5)]);
    expect(receiver.records).toHaveLength(8);
    // Answered second: the delayed one, which carried the partial success; the other saw none.
    expect(answered[0]!.ack).toEqual({ rejectedLogRecords: 0 });
    expect(answered[1]!.ack).toEqual({ rejectedLogRecords: 1, errorMessage: 'one too old' });
  });

  it('a record the collector refuses: a "split" refusal with the status and the collector\'s own message', async () => {
    const { receiver, exporter } = await setup(protocol);
    receiver.refuseRecord = (r) => r.attributes.i === 1;
    const error = await exporter.deliver(records(3, 'p')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtlpExportError);
    const { refusal } = error as OtlpExportError;
    expect(refusal.kind).toBe('split');
    expect(refusal.status).toBe(protocol === 'grpc' ? 'gRPC 3 INVALID_ARGUMENT' : 'HTTP 400 Bad Request');
    expect(refusal.collectorMessage).toBe('invalid log record p-1');
    expect(receiver.records).toHaveLength(0);
  });

  it('a body above the collector\'s limit: a "split" refusal, as the Collector words it', async () => {
    const { receiver, exporter } = await setup(protocol);
    receiver.maxBodyBytes = 10;
    const error = (await exporter.deliver(records(3, 'big')).catch((e: unknown) => e)) as OtlpExportError;
    expect(error.refusal.kind).toBe('split');
    expect(error.refusal.collectorMessage).toMatch(
      protocol === 'grpc' ? /^grpc: received message larger than max \(\d+ vs\. 10\)$/ : /^http: request body too large$/,
    );
  });

  it('credentials refused: "elsewhere", and the message names the variable to fix', async () => {
    const { receiver, exporter } = await setup(protocol);
    receiver.enqueue({ status: protocol === 'grpc' ? 16 : 401, body: 'missing API key' });
    const error = (await exporter.deliver(records(1, 'c')).catch((e: unknown) => e)) as OtlpExportError;
    expect(error.refusal).toMatchObject({ kind: 'elsewhere', collectorMessage: 'missing API key' });
    expect(error.message).toMatch(
      /^OTLP export to \S+ failed: (HTTP 401 Unauthorized|gRPC 16 UNAUTHENTICATED), the collector said "missing API key"; check the credentials in OTEL_EXPORTER_OTLP_HEADERS/,
    );
  });
});

describe('refusal details', () => {
  it('a collector that is not there: retryable, "no answer" with the cause', async () => {
    const exporter = new AcknowledgedExporter(
      { protocol: 'http/json', url: 'http://127.0.0.1:9/v1/logs', headers: {}, timeoutMillis: 1_000, compression: 'none' },
      1,
    );
    exporters.push(exporter);
    const error = (await exporter.deliver(records(1, 'x')).catch((e: unknown) => e)) as OtlpExportError;
    expect(error.refusal.kind).toBe('retryable');
    expect(error.refusal.status).toMatch(/ECONNREFUSED/);
  });

  it.each([
    ['JSON Status', '{"code":3,"message":"http: request body too large"}', 'http: request body too large'],
    // google.rpc.Status{code: 14, message: "busy"} as protobuf bytes, read as UTF-8 text by the exporter.
    ['protobuf Status', '\x08\x0e\x12\x04busy', 'busy'],
    ['plain text', 'Bad Gateway\n', 'Bad Gateway'],
    ['nothing', '', undefined],
  ])("reads the collector's message from a %s body", (_name, body, expected) => {
    expect(collectorMessageOf(body)).toBe(expected);
  });
});
