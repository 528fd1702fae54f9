import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  Server as GrpcServer,
  ServerCredentials,
  status as grpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type { OtlpProtocol } from '../config/otlp.js';
import { FakeCollector, type DecodedLogRecord } from './fake-collector.js';
import { decodeExportLogsRequest, encodeExportLogsResponse, encodeStatus } from './otlp-protobuf.js';

/**
 * The fake collector (`FakeCollector`) over any of the three OTLP transports, as the OpenTelemetry
 * Collector serves them: OTLP/HTTP JSON (its own server), OTLP/HTTP with protobuf bodies (errors as
 * a protobuf `google.rpc.Status`), and OTLP/gRPC (`LogsService/Export`, errors as gRPC status
 * codes). Requests are decoded with the OTLP `.proto` definitions; limits, refusals, delays and
 * scripted replies are the `FakeCollector`'s, whatever the transport. Listens on 127.0.0.1 only.
 */
export interface RunningCollector {
  collector: FakeCollector;
  /** The endpoint to give the exporter (`OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`). */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startFakeCollector(protocol: OtlpProtocol): Promise<RunningCollector> {
  const collector = new FakeCollector();
  if (protocol === 'http/json') {
    await collector.start();
    return { collector, endpoint: collector.url, stop: () => collector.stop() };
  }
  if (protocol === 'http/protobuf') return startProtobufHttp(collector);
  return startGrpc(collector);
}

async function startProtobufHttp(collector: FakeCollector): Promise<RunningCollector> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    collector.requests++;
    let raw: Buffer = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    const reply = collector.nextReply();
    if (reply && 'status' in reply) {
      res.writeHead(reply.status, { 'content-type': 'application/x-protobuf', ...reply.headers });
      res.end(reply.body === undefined ? undefined : Buffer.from(encodeStatus({ code: 3, message: reply.body })));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/logs') {
      res.writeHead(404).end();
      return;
    }
    if (req.headers['content-type'] !== 'application/x-protobuf') {
      res.writeHead(415).end();
      return;
    }
    let decoded: DecodedLogRecord[];
    try {
      decoded = decodeExportLogsRequest(raw);
    } catch (e) {
      // As the Collector answers a body it cannot read, so a broken encoder fails instead of counting.
      res.writeHead(400, { 'content-type': 'application/x-protobuf' });
      res.end(Buffer.from(encodeStatus({ code: grpcStatus.INVALID_ARGUMENT, message: `cannot decode: ${(e as Error).message}` })));
      return;
    }
    const answer = await collector.receive(decoded, raw.length, reply);
    res.writeHead(answer.ok ? 200 : answer.httpStatus, { 'content-type': 'application/x-protobuf' });
    res.end(
      Buffer.from(
        answer.ok
          ? encodeExportLogsResponse(answer.partialSuccess)
          : encodeStatus({ code: answer.grpcCode === 8 ? 3 : answer.grpcCode, message: answer.message }),
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
  return {
    collector,
    endpoint,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Raw buffers in and out: decoding happens in the handler, so a malformed request gets
// INVALID_ARGUMENT as from the Collector (a failing deserializer would make grpc-js answer INTERNAL).
const LOGS_SERVICE: ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Uint8Array) => Buffer.from(b),
    responseDeserialize: (b: Buffer) => b,
  },
};

async function startGrpc(collector: FakeCollector): Promise<RunningCollector> {
  const server = new GrpcServer();
  server.addService(LOGS_SERVICE, {
    Export: (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>) => {
      collector.requests++;
      const reply = collector.nextReply();
      if (reply && 'status' in reply) {
        callback({ code: reply.status, details: reply.body ?? '' });
        return;
      }
      const size = call.request.length;
      let decoded: DecodedLogRecord[];
      try {
        decoded = decodeExportLogsRequest(call.request);
      } catch (e) {
        callback({ code: grpcStatus.INVALID_ARGUMENT, details: `cannot decode: ${(e as Error).message}` });
        return;
      }
      void collector.receive(decoded, size, reply).then((answer) => {
        if (answer.ok) callback(null, encodeExportLogsResponse(answer.partialSuccess));
        else if (answer.grpcCode === grpcStatus.RESOURCE_EXHAUSTED) {
          // grpc-go's words for a message above the server's receive limit.
          callback({ code: answer.grpcCode, details: `grpc: received message larger than max (${size} vs. ${collector.maxBodyBytes})` });
        } else callback({ code: answer.grpcCode, details: answer.message });
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return {
    collector,
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
