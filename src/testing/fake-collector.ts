import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A local OTLP/HTTP logs receiver (JSON encoding, as `@opentelemetry/exporter-logs-otlp-http`
 * sends it) that decodes every request into plain records. Used by `--demo`, the tests and the
 * bench; `startFakeCollector` puts it behind the protobuf and gRPC transports too.
 * Listens on 127.0.0.1 only. Decoding follows the OTLP/JSON mapping of
 * opentelemetry-proto `logs/v1`: times are decimal strings of nanoseconds; `intValue` may come
 * as a number or a string.
 */

export type DecodedValue = string | number | boolean | null | DecodedValue[] | { [key: string]: DecodedValue };

export interface DecodedLogRecord {
  /** Nanoseconds since the epoch, as a bigint (OTLP's fixed64). */
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number | undefined;
  severityText: string | undefined;
  eventName: string | undefined;
  body: DecodedValue | undefined;
  attributes: Record<string, DecodedValue>;
  resource: Record<string, DecodedValue>;
  scope: { name: string; version: string | undefined };
}

export type OtlpReply =
  | { status: number; body?: string; headers?: Record<string, string> }
  | { partialSuccess: { rejectedLogRecords: number; errorMessage?: string }; delayMs?: number }
  | { delayMs: number };

/** How a request was answered, whatever the transport: the HTTP status and the gRPC code. */
export type OtlpAnswer =
  | { ok: true; partialSuccess?: { rejectedLogRecords: number; errorMessage?: string } }
  | { ok: false; httpStatus: number; grpcCode: number; message: string };

/** The Collector's answer to a body above its limit (its `otlp` receiver's `max_request_body_size`). */
export const TOO_LARGE = { httpStatus: 400, grpcCode: 8, message: 'http: request body too large' } as const;

export class FakeCollector {
  private server: Server | undefined;
  private readonly script: OtlpReply[] = [];
  /** The records of every accepted request, in arrival order (unless `keepRecords` is false). */
  readonly records: DecodedLogRecord[] = [];
  /** Raw OTLP/JSON request bodies, decompressed, as received (unless `keepRecords` is false). */
  readonly bodies: string[] = [];
  /** False for long runs (the bench): accepted records still reach `onRecords`, but none is kept. */
  keepRecords = true;
  requests = 0;
  onRecords: ((records: DecodedLogRecord[]) => void) | undefined;
  /** Full logs URL for the exporter. */
  url = '';
  /** Requests above this many bytes (decompressed) are refused as the Collector refuses them. */
  maxBodyBytes: number | undefined;
  /** A request holding a record this returns true for is refused with 400 / INVALID_ARGUMENT. */
  refuseRecord: ((record: DecodedLogRecord) => boolean) | undefined;
  /** Milliseconds every request is held before it is answered (a slow collector). */
  delayMs = 0;
  /** Requests of one stream (`slack.team.id` of the resource, or '') being answered now, at most. */
  maxConcurrentPerStream = 0;
  private readonly concurrent = new Map<string, number>();

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/logs`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next requests get these replies, in order. A failed request's records are not kept. */
  enqueue(...replies: OtlpReply[]): void {
    this.script.push(...replies);
  }

  /**
   * One decoded request, whatever carried it: applies the limits, the refusal rule and the delay,
   * keeps the records of an accepted request, and tracks how many requests of a stream overlap.
   * Also used by the protobuf and gRPC transports (`startFakeCollector`).
   */
  async receive(decoded: DecodedLogRecord[], size: number, reply?: Extract<OtlpReply, { delayMs?: number }>): Promise<OtlpAnswer> {
    const streams = [...new Set(decoded.map((r) => String(r.resource['slack.team.id'] ?? '')))];
    for (const stream of streams) {
      const now = (this.concurrent.get(stream) ?? 0) + 1;
      this.concurrent.set(stream, now);
      this.maxConcurrentPerStream = Math.max(this.maxConcurrentPerStream, now);
    }
    try {
      const delay = (reply?.delayMs ?? 0) + this.delayMs;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (this.maxBodyBytes !== undefined && size > this.maxBodyBytes) return { ok: false, ...TOO_LARGE };
      const refused = this.refuseRecord ? decoded.find(this.refuseRecord) : undefined;
      if (refused) {
        return { ok: false, httpStatus: 400, grpcCode: 3, message: `invalid log record ${String(refused.attributes['log.record.uid'])}` };
      }
      if (this.keepRecords) this.records.push(...decoded);
      this.onRecords?.(decoded);
      return { ok: true, ...(reply && 'partialSuccess' in reply ? { partialSuccess: reply.partialSuccess } : {}) };
    } finally {
      for (const stream of streams) this.concurrent.set(stream, this.concurrent.get(stream)! - 1);
    }
  }

  /** The scripted reply for the next request, if any. */
  nextReply(): OtlpReply | undefined {
    return this.script.shift();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.requests++;
    let raw: Buffer = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);

    const reply = this.nextReply();
    if (reply && 'status' in reply) {
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? '');
      return;
    }
    if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/logs')) {
      res.writeHead(404).end();
      return;
    }
    let decoded: DecodedLogRecord[];
    const text = raw.toString('utf8');
    try {
      decoded = decodeLogsRequest(JSON.parse(text));
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode: ${(e as Error).message}`);
      return;
    }
    const answer = await this.receive(decoded, raw.length, reply);
    if (!answer.ok) {
      // As the Collector answers an OTLP/JSON request: a google.rpc.Status in JSON.
      res.writeHead(answer.httpStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: answer.grpcCode === 8 ? 3 : answer.grpcCode, message: answer.message }));
      return;
    }
    if (this.keepRecords) this.bodies.push(text);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.partialSuccess ? { partialSuccess: answer.partialSuccess } : {}));
  }
}

interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string;
}

export function decodeLogsRequest(body: unknown): DecodedLogRecord[] {
  const out: DecodedLogRecord[] = [];
  const resourceLogs = (body as { resourceLogs?: unknown[] }).resourceLogs;
  if (!Array.isArray(resourceLogs)) throw new Error('no resourceLogs array');
  for (const rl of resourceLogs as Array<{ resource?: { attributes?: OtlpKeyValue[] }; scopeLogs?: unknown[] }>) {
    const resource = decodeAttributes(rl.resource?.attributes);
    for (const sl of (rl.scopeLogs ?? []) as Array<{ scope?: { name?: string; version?: string }; logRecords?: unknown[] }>) {
      for (const lr of (sl.logRecords ?? []) as Array<Record<string, unknown>>) {
        out.push({
          timeUnixNano: BigInt(String(lr.timeUnixNano ?? '0')),
          observedTimeUnixNano: BigInt(String(lr.observedTimeUnixNano ?? '0')),
          severityNumber: lr.severityNumber as number | undefined,
          severityText: lr.severityText as string | undefined,
          eventName: (lr.eventName as string | undefined) || undefined,
          body: lr.body === undefined ? undefined : decodeValue(lr.body as OtlpAnyValue),
          attributes: decodeAttributes(lr.attributes as OtlpKeyValue[] | undefined),
          resource,
          scope: { name: sl.scope?.name ?? '', version: sl.scope?.version || undefined },
        });
      }
    }
  }
  return out;
}

function decodeAttributes(list: OtlpKeyValue[] | undefined): Record<string, DecodedValue> {
  const out: Record<string, DecodedValue> = {};
  for (const kv of list ?? []) out[kv.key] = decodeValue(kv.value ?? {});
  return out;
}

function decodeValue(v: OtlpAnyValue): DecodedValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(decodeValue);
  if (v.kvlistValue) return decodeAttributes(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}
