/**
 * The bench's OTLP receivers for the two protobuf transports, as the OpenTelemetry Collector serves
 * them: OTLP/HTTP with protobuf bodies at /v1/logs, and OTLP/gRPC
 * (`/opentelemetry.proto.collector.logs.v1.LogsService/Export`). Each decodes every request with
 * protobufjs and the OTLP definitions of the tests (test/otlp/otlp-logs.proto, loaded at run time),
 * counts the log records and keeps none, and answers with an ExportLogsServiceResponse; a body that
 * does not decode is refused (400 with a google.rpc.Status / INVALID_ARGUMENT), so a broken encoder
 * fails the bench instead of being counted. The JSON one is the package's own FakeCollector.
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Server as GrpcServer, ServerCredentials, status as grpcStatus } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const PACKAGE = 'opentelemetry.proto.collector.logs.v1';
const root = protobuf.loadSync(fileURLToPath(new URL('../test/otlp/otlp-logs.proto', import.meta.url)));
const ExportLogsServiceRequest = root.lookupType(`${PACKAGE}.ExportLogsServiceRequest`);
const ExportLogsServiceResponse = root.lookupType(`${PACKAGE}.ExportLogsServiceResponse`);
const Status = root.lookupType(`${PACKAGE}.Status`);

/** Every field of every record is decoded (protobufjs materializes the whole message); returns the record count. */
function countRecords(buf) {
  const request = ExportLogsServiceRequest.decode(buf);
  let n = 0;
  for (const rl of request.resourceLogs) for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  return n;
}

// Full success: no partial_success (proto3 then encodes the message as zero bytes, which is what a
// Collector sends).
const OK_RESPONSE = Buffer.from(ExportLogsServiceResponse.encode(ExportLogsServiceResponse.create({})).finish());
const statusBody = (code, message) => Buffer.from(Status.encode(Status.create({ code, message })).finish());

/** OTLP/HTTP, protobuf encoding. `onRecords(count)` for every accepted request. */
export async function startProtobufHttp(onRecords) {
  const collector = { requests: 0, url: '', stop: undefined };
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    collector.requests++;
    if (req.method !== 'POST' || req.url !== '/v1/logs') return void res.writeHead(404).end();
    if (req.headers['content-type'] !== 'application/x-protobuf') return void res.writeHead(415).end();
    let count;
    try {
      const raw = Buffer.concat(chunks);
      count = countRecords(req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw);
    } catch (e) {
      res.writeHead(400, { 'content-type': 'application/x-protobuf' });
      return void res.end(statusBody(grpcStatus.INVALID_ARGUMENT, `cannot decode: ${e.message}`));
    }
    onRecords(count);
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end(OK_RESPONSE);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  collector.url = `http://127.0.0.1:${server.address().port}/v1/logs`;
  collector.stop = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
  };
  return collector;
}

// Raw buffers in and out: decoding happens in the handler, so a malformed request gets
// INVALID_ARGUMENT as from the Collector (a failing deserializer would make grpc-js answer INTERNAL).
const LOGS_SERVICE = {
  Export: {
    path: `/${PACKAGE}.LogsService/Export`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (b) => b,
    requestDeserialize: (b) => b,
    responseSerialize: (b) => b,
    responseDeserialize: (b) => b,
  },
};

/** OTLP/gRPC. `url` is what the exporter takes (`http://host:port`). */
export async function startGrpc(onRecords) {
  const collector = { requests: 0, url: '', stop: undefined };
  const server = new GrpcServer();
  server.addService(LOGS_SERVICE, {
    Export: (call, callback) => {
      collector.requests++;
      let count;
      try {
        count = countRecords(call.request);
      } catch (e) {
        return void callback({ code: grpcStatus.INVALID_ARGUMENT, details: `cannot decode: ${e.message}` });
      }
      onRecords(count);
      callback(null, OK_RESPONSE);
    },
  });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  collector.url = `http://127.0.0.1:${port}`;
  collector.stop = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  return collector;
}
