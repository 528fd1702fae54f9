import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthEndpoint } from '../config/health-endpoint.js';
import { readiness, type StatusForReadiness } from './readiness.js';
import { HealthEndpointError } from '../core/errors.js';

export interface HealthServerOptions {
  endpoint: HealthEndpoint;
  /** The receiver's status, read on every request. */
  status: () => StatusForReadiness;
  pollIntervalMs: number;
  /** `false`: the server does not keep Node running (embedded in a host that decides when to exit). */
  keepProcessAlive?: boolean;
}

/**
 * The health endpoint, like the Collector's `health_check`: `GET /healthz` answers 200 while the
 * process lives (liveness), `GET /readyz` 200 while the last pass succeeded recently, else 503 with
 * a one-line JSON reason (see readiness.ts). Anything else: 404. Answers hold no secret: fixed words
 * and a date.
 */
export class HealthServer {
  private constructor(
    private readonly server: Server,
    /** Where it listens (the real port when 0 was asked). */
    readonly address: HealthEndpoint,
  ) {}

  /** @throws HealthEndpointError when it cannot listen there (port in use, address not on this host). */
  static async listen(options: HealthServerOptions): Promise<HealthServer> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') return answer(res, 200, { status: 'alive' });
      if (req.method === 'GET' && path === '/readyz') {
        const r = readiness(options.status(), Date.now(), options.pollIntervalMs);
        return answer(res, r.ready ? 200 : 503, r.body);
      }
      answer(res, 404, { status: 'not_found', paths: ['/healthz', '/readyz'] });
    });
    const { host, port } = options.endpoint;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new HealthEndpointError(
            `SLACK_HEALTH_ENDPOINT ${host}:${port}: cannot listen (${error.code ?? error.message}): ${error.code === 'EADDRINUSE' ? 'another process uses the port, choose another' : 'use an address of this host, e.g. 127.0.0.1:13133'}`,
            { cause: error },
          ),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    if (options.keepProcessAlive === false) server.unref();
    const bound = server.address() as AddressInfo;
    return new HealthServer(server, { host: bound.address, port: bound.port });
  }

  async close(): Promise<void> {
    // Probes keep their connections open; they must not hold the shutdown.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function answer(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}
