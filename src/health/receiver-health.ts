import type { HealthEndpoint } from '../config/health-endpoint.js';
import { HealthServer } from './health-server.js';
import type { StatusForReadiness } from './readiness.js';

/**
 * The receiver's health endpoint over its life: opened by `start()` when an endpoint is configured
 * (nothing otherwise), closed by `shutdown()`. Opening twice serves once.
 */
export class ReceiverHealth {
  private server: Promise<HealthServer> | undefined;

  constructor(
    private readonly endpoint: HealthEndpoint | undefined,
    private readonly status: () => StatusForReadiness,
    private readonly pollIntervalMs: number,
  ) {}

  /** @throws HealthEndpointError when it cannot listen. */
  async open(keepProcessAlive: boolean): Promise<void> {
    if (!this.endpoint) return;
    this.server ??= HealthServer.listen({
      endpoint: this.endpoint,
      status: this.status,
      pollIntervalMs: this.pollIntervalMs,
      keepProcessAlive,
    });
    await this.server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await (await server?.catch(() => undefined))?.close();
  }
}
