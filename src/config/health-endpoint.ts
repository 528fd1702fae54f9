/** Where the health endpoint listens (`SLACK_HEALTH_ENDPOINT`), like the Collector's `health_check`. */
export interface HealthEndpoint {
  host: string;
  port: number;
}

/** Loopback unless asked otherwise: the answers are for this host's probes. */
export const DEFAULT_HEALTH_HOST = '127.0.0.1';

/** What a valid `SLACK_HEALTH_ENDPOINT` looks like, with the fix. */
export const HOST_PORT_EXPECTED =
  'host:port with a port from 1 to 65535: use e.g. 127.0.0.1:13133 (0.0.0.0:13133 for probes from outside the host)';

/**
 * Reads `host:port`, `[::1]:port`, `:port` or a port alone (on 127.0.0.1).
 * @returns the endpoint, or `problem`: one sentence naming the variable and the fix.
 */
export function parseHealthEndpoint(value: string): { endpoint?: HealthEndpoint; problem?: string } {
  const text = value.trim();
  const m = /^(?:(\[[0-9a-f:.]+\]|[a-z0-9.-]*):)?(\d{1,5})$/i.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65_535) {
    return {
      problem: `SLACK_HEALTH_ENDPOINT ${JSON.stringify(value)} is not ${HOST_PORT_EXPECTED}`,
    };
  }
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1') || DEFAULT_HEALTH_HOST;
  return { endpoint: { host, port } };
}
