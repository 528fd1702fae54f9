/**
 * A local OTLP/HTTP collector stand-in for the self-metrics tests: decodes `POST /v1/metrics`
 * (OTLP/JSON, as `@opentelemetry/exporter-metrics-otlp-http` sends it) into plain metric points,
 * and `POST /v1/logs` with the logs decoder of src/testing/fake-collector.ts, so one base URL serves
 * both signals as a collector does. Decoding follows the OTLP/JSON mapping of opentelemetry-proto
 * `metrics/v1`: `asInt` may come as a number or a decimal string. Protobuf metrics bodies
 * (`http/protobuf`) are kept undecoded and acknowledged. Listens on 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeLogsRequest, type DecodedLogRecord, type DecodedValue } from '../src/testing/fake-collector.js';

export interface DecodedMetricPoint {
  name: string;
  unit: string;
  kind: 'sum' | 'gauge' | 'histogram' | 'other';
  /** For sums: whether the SDK marked it monotonic (a counter). */
  monotonic: boolean | undefined;
  value: number;
  attributes: Record<string, DecodedValue>;
  resource: Record<string, DecodedValue>;
  scope: string;
}

interface KeyValue {
  key: string;
  value?: { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
}

export class OtlpMetricsReceiver {
  private server: Server | undefined;
  private readonly batches: DecodedMetricPoint[][] = [];
  readonly points: DecodedMetricPoint[] = [];
  readonly records: DecodedLogRecord[] = [];
  /** Requests by path, whatever their outcome. */
  readonly requests: Record<string, number> = {};
  /** `application/x-protobuf` metrics bodies, undecoded. */
  readonly protobufBodies: Buffer[] = [];
  /** Headers of every metrics request, lower-case names. */
  readonly metricsHeaders: Array<Record<string, string | string[] | undefined>> = [];
  /** Base URL, e.g. `http://127.0.0.1:4567` (append `/v1/metrics` or `/v1/logs`). */
  base = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Every point of the metric, in arrival order. */
  named(name: string): DecodedMetricPoint[] {
    return this.points.filter((p) => p.name === name);
  }

  /** The points of the metric in the newest export that has it (cumulative values: the totals). */
  latest(name: string): DecodedMetricPoint[] {
    const batch = this.batches.findLast((b) => b.some((p) => p.name === name)) ?? [];
    return batch.filter((p) => p.name === name);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0]!;
    this.requests[path] = (this.requests[path] ?? 0) + 1;
    let raw: Buffer = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    try {
      if (req.method === 'POST' && path === '/v1/metrics' && req.headers['content-type'] === 'application/x-protobuf') {
        this.metricsHeaders.push({ ...req.headers });
        this.protobufBodies.push(raw);
        // An empty ExportMetricsServiceResponse: full success.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        return;
      } else if (req.method === 'POST' && path === '/v1/metrics') {
        this.metricsHeaders.push({ ...req.headers });
        const batch = decodeMetricsRequest(JSON.parse(raw.toString('utf8')));
        this.batches.push(batch);
        this.points.push(...batch);
      } else if (req.method === 'POST' && path === '/v1/logs') {
        this.records.push(...decodeLogsRequest(JSON.parse(raw.toString('utf8'))));
      } else {
        res.writeHead(404).end();
        return;
      }
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode: ${(e as Error).message}`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }
}

export function decodeMetricsRequest(body: unknown): DecodedMetricPoint[] {
  const out: DecodedMetricPoint[] = [];
  const resourceMetrics = (body as { resourceMetrics?: unknown[] }).resourceMetrics;
  if (!Array.isArray(resourceMetrics)) throw new Error('no resourceMetrics array');
  for (const rm of resourceMetrics as Array<{ resource?: { attributes?: KeyValue[] }; scopeMetrics?: unknown[] }>) {
    const resource = attributes(rm.resource?.attributes);
    for (const sm of (rm.scopeMetrics ?? []) as Array<{ scope?: { name?: string }; metrics?: unknown[] }>) {
      for (const m of (sm.metrics ?? []) as Array<Record<string, any>>) {
        const kind = m.sum ? 'sum' : m.gauge ? 'gauge' : m.histogram ? 'histogram' : 'other';
        const data = m.sum ?? m.gauge ?? m.histogram ?? { dataPoints: [] };
        for (const p of (data.dataPoints ?? []) as Array<Record<string, any>>) {
          out.push({
            name: String(m.name),
            unit: String(m.unit ?? ''),
            kind,
            monotonic: kind === 'sum' ? Boolean(m.sum.isMonotonic) : undefined,
            value: kind === 'histogram' ? Number(p.count ?? 0) : p.asDouble !== undefined ? Number(p.asDouble) : Number(p.asInt ?? 0),
            attributes: attributes(p.attributes),
            resource,
            scope: sm.scope?.name ?? '',
          });
        }
      }
    }
  }
  return out;
}

function attributes(list: KeyValue[] | undefined): Record<string, DecodedValue> {
  const out: Record<string, DecodedValue> = {};
  for (const kv of list ?? []) {
    const v = kv.value ?? {};
    out[kv.key] = v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue ?? null));
  }
  return out;
}
