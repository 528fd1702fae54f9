import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeLogsRequest, type DecodedLogRecord } from '../../src/testing/fake-collector.js';
import { decodeExportLogsRequest } from '../../src/testing/otlp-protobuf.js';

const LOGS_PATH = '/v1/logs';

/**
 * A transparent HTTP proxy between the receiver and the Collector that watches acknowledgements:
 * every record in a request the Collector answered 2xx is "acknowledged". That is the set the
 * Collector must never lose, observed on the wire, independently of the receiver's own bookkeeping.
 * When the Collector is down or dies mid-request, the proxy drops the receiver's connection, as a
 * dead Collector would. Only requests to /v1/logs are watched; others (the receiver's self-metrics
 * on /v1/metrics, which it sends to the same host) pass through unrecorded.
 */
export class AckProxy {
  private server: Server | undefined;
  /** Records of every request answered 2xx, in answer order. */
  readonly acknowledged: DecodedLogRecord[] = [];
  /** Status of every answered request, in answer order ("reset" when the connection was dropped). */
  readonly statuses: Array<number | 'reset'> = [];
  /** Every non-2xx answer: status and body text. */
  readonly refusals: Array<{ status: number; body: string }> = [];
  /** Size in bytes of every request body, as sent. */
  readonly requestBytes: number[] = [];
  /** Logs URL for the receiver (OTEL_EXPORTER_OTLP_LOGS_ENDPOINT). */
  url = '';

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.forward(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${LOGS_PATH}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const watched = new URL(req.url ?? '/', 'http://proxy').pathname === LOGS_PATH;
    if (watched) this.requestBytes.push(body.length);
    const upstream = request({ host: this.target.host, port: this.target.port, method: req.method, path: req.url, headers: req.headers });
    upstream.on('error', () => {
      if (watched) this.statuses.push('reset');
      res.socket?.destroy();
    });
    upstream.on('response', async (answer) => {
      const reply: Buffer[] = [];
      try {
        for await (const c of answer) reply.push(c as Buffer);
      } catch {
        if (watched) this.statuses.push('reset');
        res.socket?.destroy();
        return;
      }
      const status = answer.statusCode ?? 0;
      if (watched) {
        if (status >= 200 && status < 300) this.acknowledged.push(...decodeBody(body, req.headers));
        else this.refusals.push({ status, body: Buffer.concat(reply).toString('utf8') });
        this.statuses.push(status);
      }
      res.writeHead(status, answer.headers).end(Buffer.concat(reply));
    });
    upstream.end(body);
  }
}

function decodeBody(raw: Buffer, headers: IncomingMessage['headers']): DecodedLogRecord[] {
  const body = headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
  return String(headers['content-type']).startsWith('application/x-protobuf')
    ? decodeExportLogsRequest(body)
    : decodeLogsRequest(JSON.parse(body.toString('utf8')));
}
