/**
 * The test kit's fake collector (`slack-integration-logs-receiver/testing`) as a host meets it over
 * each transport: what it answers to a request that is not OTLP (a broken encoder must fail, not be
 * counted), and `keepRecords: false` for long runs. Requests are made by hand with fetch and
 * @grpc/grpc-js; the expected answers are the OpenTelemetry Collector's.
 */
import { Client, credentials, Metadata, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeStatus, encodeExportLogsResponse, startFakeCollector, type RunningCollector } from '../src/testing/index.js';

const running: RunningCollector[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});
async function start(protocol: 'http/json' | 'http/protobuf' | 'grpc'): Promise<RunningCollector> {
  const r = await startFakeCollector(protocol);
  running.push(r);
  return r;
}

// ExportLogsServiceRequest{resource_logs: [{scope_logs: [{log_records: [{time_unix_nano: 1}]}]}]}:
// field 1 (resource_logs) -> field 2 (scope_logs) -> field 2 (log_records) -> field 1 fixed64.
const ONE_RECORD = Buffer.from([0x0a, 0x0d, 0x12, 0x0b, 0x12, 0x09, 0x09, 1, 0, 0, 0, 0, 0, 0, 0]);
// Field 1, length-delimited, announcing 127 bytes that never come.
const TRUNCATED = Buffer.from([0x0a, 0x7f, 0x01]);

const post = (url: string, body: Buffer | string, contentType: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });

/** One unary call of LogsService/Export with raw bytes. */
function grpcExport(endpoint: string, body: Buffer): Promise<{ error: ServiceError | null; reply?: Buffer }> {
  const client = new Client(endpoint.replace('http://', ''), credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      new Metadata(),
      (error, reply) => {
        client.close();
        resolve({ error, reply });
      },
    );
  });
}

describe('over OTLP/HTTP protobuf', () => {
  it('a request of one record: 200 with an empty ExportLogsServiceResponse, the record decoded', async () => {
    const r = await start('http/protobuf');
    const res = await post(r.endpoint, ONE_RECORD, 'application/x-protobuf');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(encodeExportLogsResponse()));
    expect(r.collector.records.map((rec) => rec.timeUnixNano)).toEqual([1n]);
  });

  it('a body that does not decode: 400 with a google.rpc.Status INVALID_ARGUMENT, nothing counted', async () => {
    const r = await start('http/protobuf');
    const res = await post(r.endpoint, TRUNCATED, 'application/x-protobuf');
    expect(res.status).toBe(400);
    const status = decodeStatus(new Uint8Array(await res.arrayBuffer()));
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/^cannot decode: /);
    expect(r.collector.records).toEqual([]);
  });

  it('another path: 404; another content type: 415', async () => {
    const r = await start('http/protobuf');
    expect((await post(r.endpoint.replace('/v1/logs', '/v1/traces'), ONE_RECORD, 'application/x-protobuf')).status).toBe(404);
    expect((await post(r.endpoint, '{}', 'application/json')).status).toBe(415);
    expect(r.collector.records).toEqual([]);
    expect(r.collector.requests).toBe(2);
  });
});

describe('over OTLP/gRPC', () => {
  it('a request of one record: accepted, the record decoded', async () => {
    const r = await start('grpc');
    const { error } = await grpcExport(r.endpoint, ONE_RECORD);
    expect(error).toBeNull();
    expect(r.collector.records.map((rec) => rec.timeUnixNano)).toEqual([1n]);
  });

  it('a message that does not decode: INVALID_ARGUMENT, nothing counted', async () => {
    const r = await start('grpc');
    const { error } = await grpcExport(r.endpoint, TRUNCATED);
    expect(error?.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/^cannot decode: /);
    expect(r.collector.records).toEqual([]);
  });
});

describe('over OTLP/HTTP JSON', () => {
  it('a body that is not OTLP/JSON: 400, nothing counted', async () => {
    const r = await start('http/json');
    const res = await post(r.endpoint, '{"resourceSpans":[]}', 'application/json');
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('cannot decode: no resourceLogs array');
    expect(r.collector.records).toEqual([]);
  });
});

describe('keepRecords: false', () => {
  it.each(['http/json', 'http/protobuf'] as const)('over %s: the records reach onRecords, none is kept', async (protocol) => {
    const r = await start(protocol);
    r.collector.keepRecords = false;
    const seen: bigint[] = [];
    r.collector.onRecords = (records) => seen.push(...records.map((rec) => rec.timeUnixNano));
    const body =
      protocol === 'http/json'
        ? JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1' }, { timeUnixNano: '2' }] }] }] })
        : ONE_RECORD;
    const res = await post(r.endpoint, body, protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
    expect(res.status).toBe(200);
    expect(seen).toEqual(protocol === 'http/json' ? [1n, 2n] : [1n]);
    expect(r.collector.records).toEqual([]);
    expect(r.collector.bodies).toEqual([]);
  });
});
