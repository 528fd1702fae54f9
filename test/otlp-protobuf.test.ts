import { describe, expect, it } from 'vitest';
import { decodeExportLogsRequest, decodeStatus, encodeExportLogsResponse, encodeStatus } from '../src/testing/otlp-protobuf.js';

// The expected bytes are written by hand from the protobuf wire format (tag = field << 3 | wire
// type; 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32) and OTLP's field numbers, not through
// otlp-logs.proto, so a wrong field number or type in that file fails here.
const varint = (n: bigint): number[] => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? byte | 0x80 : byte);
  } while (v);
  return out;
};
const tag = (field: number, wire: number): number[] => varint(BigInt((field << 3) | wire));
const int = (field: number, n: number | bigint): number[] => [...tag(field, 0), ...varint(BigInt(n))];
const bytes = (field: number, body: number[] | Uint8Array): number[] => [...tag(field, 2), ...varint(BigInt(body.length)), ...body];
const str = (field: number, s: string): number[] => bytes(field, [...Buffer.from(s, 'utf8')]);
const fixed64 = (field: number, n: bigint): number[] => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return [...tag(field, 1), ...b];
};
const double = (field: number, x: number): number[] => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return [...tag(field, 1), ...b];
};
// AnyValue: string 1, bool 2, int 3, double 4, array 5, kvlist 6, bytes 7. KeyValue: key 1, value 2.
const kv = (key: string, value: number[]): number[] => bytes(6, [...str(1, key), ...bytes(2, value)]);
const kvIn = (field: number, key: string, value: number[]): number[] => bytes(field, [...str(1, key), ...bytes(2, value)]);

describe('OTLP logs protobuf decoding', () => {
  it('decodes every LogRecord field and AnyValue type at the protocol field numbers', () => {
    const time = 1_700_000_000_123_456_789n;
    const observed = 1_700_000_100_000_000_000n;
    const record = [
      ...fixed64(1, time), // time_unix_nano
      ...fixed64(11, observed), // observed_time_unix_nano
      ...int(2, 9), // severity_number INFO
      ...str(3, 'INFO'), // severity_text
      ...bytes(5, bytes(6, [...kvIn(1, 'k', str(1, 'v'))])), // body: kvlist {k: "v"}
      ...kv('s', str(1, 'text')),
      ...kv('b', int(2, 1)),
      ...kv('i', int(3, 1_700_000_000)),
      ...kv('neg', int(3, -5)),
      ...kv('d', double(4, 1.5)),
      ...kv('a', bytes(5, [...bytes(1, str(1, 'x')), ...bytes(1, int(3, 2))])),
      ...kv('raw', bytes(7, [1, 2, 3])),
      ...kv('empty', []),
      ...kv('blank', str(1, '')),
      ...int(7, 0), // dropped_attributes_count
      ...str(12, 'slack.integration.change'), // event_name
    ];
    const scope = [...str(1, 'slack-integration-logs'), ...str(2, '1.2.3')];
    const resource = [...kvIn(1, 'service.name', str(1, 'svc')), ...kvIn(1, 'slack.team.id', str(1, 'T1'))];
    const scopeLogs = [...bytes(1, scope), ...bytes(2, record), ...bytes(2, fixed64(1, time + 1n))];
    const resourceLogs = [...bytes(1, resource), ...bytes(2, scopeLogs), ...str(3, 'https://opentelemetry.io/schemas/1.36.0')];
    const request = new Uint8Array(bytes(1, resourceLogs));

    const [first, second, ...rest] = decodeExportLogsRequest(request);
    expect(rest).toEqual([]);
    expect(first).toEqual({
      timeUnixNano: time,
      observedTimeUnixNano: observed,
      severityNumber: 9,
      severityText: 'INFO',
      eventName: 'slack.integration.change',
      body: { k: 'v' },
      attributes: { s: 'text', b: true, i: 1_700_000_000, neg: -5, d: 1.5, a: ['x', 2], raw: 'AQID', empty: null, blank: '' },
      resource: { 'service.name': 'svc', 'slack.team.id': 'T1' },
      scope: { name: 'slack-integration-logs', version: '1.2.3' },
    });
    expect(second).toMatchObject({ timeUnixNano: time + 1n, observedTimeUnixNano: 0n, eventName: undefined, body: undefined });
  });

  it('refuses a truncated request', () => {
    expect(() => decodeExportLogsRequest(new Uint8Array([0x0a, 0x05, 0x0a]))).toThrow();
  });

  it('encodes the export response and google.rpc.Status', () => {
    expect([...encodeExportLogsResponse()]).toEqual([]);
    const partial = bytes(1, [...int(1, 3), ...str(2, 'too old')]);
    expect([...encodeExportLogsResponse({ rejectedLogRecords: 3, errorMessage: 'too old' })]).toEqual(partial);
    expect([...encodeStatus({ code: 3, message: 'body too large' })]).toEqual([...int(1, 3), ...str(2, 'body too large')]);
    expect(decodeStatus(new Uint8Array([...int(1, 14), ...str(2, 'busy')]))).toEqual({ code: 14, message: 'busy' });
  });
});
