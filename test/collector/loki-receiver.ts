import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { DecodedLogRecord } from '../../src/testing/fake-collector.js';
import { decodeExportLogsRequest, encodeExportLogsResponse, encodeStatus } from '../../src/testing/otlp-protobuf.js';

/**
 * A stand-in for Grafana Loki's native OTLP ingestion, as the Collector's `otlp_http` exporter
 * talks to it: POST `<endpoint>/v1/logs` with the endpoint `http://<loki>/otlp`, protobuf, gzip.
 * Decodes every request and keeps the records in arrival order. Listens on 127.0.0.1 only.
 *
 * It groups records into streams the way Loki does (the resource attributes Loki indexes by
 * default, plus `slack.team.id` as examples/compose/loki.yaml adds) and applies Loki's ordering
 * rule: an entry more than an hour (max_chunk_age / 2) behind the newest entry of its stream is
 * refused, the others of the same request are kept, and the request is answered 400 (which the
 * Collector's exporter takes as permanent: it drops the request).
 */

/** Resource attributes Loki turns into index labels by default, plus the compose example's one. */
export const LOKI_INDEX_LABELS = [
  'service.name',
  'service.namespace',
  'service.instance.id',
  'deployment.environment',
  'deployment.environment.name',
  'cloud.region',
  'cloud.availability_zone',
  'k8s.cluster.name',
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.container.name',
  'container.name',
  'k8s.replicaset.name',
  'k8s.deployment.name',
  'k8s.statefulset.name',
  'k8s.daemonset.name',
  'k8s.cronjob.name',
  'k8s.job.name',
  'slack.team.id',
];

/** Loki's default max_chunk_age (2 h) / 2: how far behind its stream's newest entry an entry may be. */
export const LOKI_MAX_BEHIND_NS = 3600n * 1_000_000_000n;

export interface ArrivedRecord {
  record: DecodedLogRecord;
  /** The stream's index labels, as Loki names them (dots to underscores), as a string. */
  stream: string;
  /** 0-based number of the request that brought it. */
  request: number;
}

export class LokiOtlpReceiver {
  private server: Server | undefined;
  /** Records Loki kept, in arrival order. */
  readonly arrived: ArrivedRecord[] = [];
  /** Records refused as "entry too far behind", in arrival order. */
  readonly tooFarBehind: ArrivedRecord[] = [];
  private readonly newest = new Map<string, bigint>();
  requests = 0;
  /** Requests answered with something else than 200, with why. */
  readonly refused: string[] = [];
  /**
   * Milliseconds to wait before taking each request in (a slow Loki lets the Collector's queue
   * grow). A request received in full is kept even if the sender dies while it waits.
   */
  delayMs = 0;
  /** Requests received in full and still waiting out `delayMs`. */
  taking = 0;
  /** When set, every request is answered with this status and nothing is kept (Loki down). */
  downStatus: number | undefined;
  /** Base URL for the Collector's exporter (`endpoint:`), as for Loki: `http://127.0.0.1:<port>/otlp`. */
  endpoint = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/otlp`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get records(): DecodedLogRecord[] {
    return this.arrived.map((a) => a.record);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const request = this.requests++;
    this.taking++;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.taking--;
    const refuse = (status: number, message: string) => {
      this.refused.push(`${status} ${message}`);
      res.writeHead(status, { 'content-type': 'application/x-protobuf' }).end(encodeStatus({ code: 3, message }));
    };
    if (this.downStatus !== undefined) return refuse(this.downStatus, 'Loki is down');
    if (req.method !== 'POST' || req.url !== '/otlp/v1/logs') return refuse(404, `no route ${req.method} ${req.url}`);
    if (req.headers['content-type'] !== 'application/x-protobuf') return refuse(415, `content-type ${req.headers['content-type']}`);
    let records: DecodedLogRecord[];
    try {
      let body: Buffer = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      records = decodeExportLogsRequest(body);
    } catch (e) {
      return refuse(400, `cannot decode: ${(e as Error).message}`);
    }
    let refused = 0;
    for (const record of records) {
      const arrived = { record, stream: streamOf(record), request };
      const newest = this.newest.get(arrived.stream) ?? record.timeUnixNano;
      if (newest - record.timeUnixNano > LOKI_MAX_BEHIND_NS) {
        this.tooFarBehind.push(arrived);
        refused++;
        continue;
      }
      this.arrived.push(arrived);
      if (record.timeUnixNano > newest || !this.newest.has(arrived.stream)) this.newest.set(arrived.stream, record.timeUnixNano);
    }
    if (refused > 0) return refuse(400, `entry too far behind: total ignored: ${refused} out of ${records.length}`);
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(encodeExportLogsResponse());
  }
}

/** Loki's stream of a record: its indexed resource attributes, dots turned into underscores. */
export function streamOf(record: DecodedLogRecord): string {
  const labels = LOKI_INDEX_LABELS.filter((k) => record.resource[k] !== undefined)
    .map((k) => `${k.replace(/[^A-Za-z0-9_]/g, '_')}=${JSON.stringify(String(record.resource[k]))}`)
    .sort();
  return `{${labels.join(', ')}}`;
}
