import type { FetchFunction } from '@slack/web-api';

/** The variables undici's EnvHttpProxyAgent reads; NO_PROXY only matters once one of these is set. */
const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY'] as const;

let shared: { key: string; fetch: FetchFunction } | undefined;

/**
 * The `fetch` every Slack client (pages and token refreshes) is given: undici's, through its
 * `EnvHttpProxyAgent`, when `HTTPS_PROXY` or `HTTP_PROXY` is set (Node's own `fetch` ignores them on
 * Node 20 and 22); none otherwise, so the client keeps `globalThis.fetch`. One dispatcher per set of
 * variables, so the clients that token rotation rebuilds share the proxy's connections. undici is
 * loaded only when a proxy is set: it takes a few hundred milliseconds to load.
 */
export function slackFetch(env: NodeJS.ProcessEnv = process.env): FetchFunction | undefined {
  if (!PROXY_VARIABLES.slice(0, 4).some((name) => env[name])) return undefined;
  const key = JSON.stringify(PROXY_VARIABLES.map((name) => env[name] ?? null));
  if (shared?.key !== key) {
    const v = (lower: string, upper: string) => env[lower] ?? env[upper];
    const options = {
      httpProxy: v('http_proxy', 'HTTP_PROXY'),
      httpsProxy: v('https_proxy', 'HTTPS_PROXY'),
      noProxy: v('no_proxy', 'NO_PROXY'),
    };
    const loaded = import('undici').then((undici) => ({ fetch: undici.fetch, dispatcher: new undici.EnvHttpProxyAgent(options) }));
    // Not awaited until a request needs it: a failure to load belongs to that request.
    loaded.catch(() => undefined);
    // The client's request and answer types are the Fetch standard's; undici's own types differ only in name.
    const fetch = (async (url, init) => {
      const { fetch, dispatcher } = await loaded;
      return fetch(url, { ...(init as object), dispatcher });
    }) as FetchFunction;
    shared = { key, fetch };
  }
  return shared.fetch;
}

/**
 * The HTTP status a proxy answered instead of opening the tunnel, from undici's error
 * ("Proxy response (407) !== 200 when HTTP Tunneling"), found in the causes of a failed request.
 */
export function proxyRefusal(error: unknown): number | undefined {
  let e = error as { message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    const status = /^Proxy response \((\d{3})\)/.exec(String(e.message ?? ''))?.[1];
    if (status) return Number(status);
  }
  return undefined;
}

/** What to do about a proxy that refused the tunnel to Slack. */
export function proxyRefusalReason(status: number): string {
  return status === 407
    ? 'the proxy refused its credentials (HTTP 407): check the user and password in HTTPS_PROXY (or HTTP_PROXY)'
    : `the proxy answered HTTP ${status} instead of connecting to Slack: check that it lets the receiver reach SLACK_API_URL's host, or list that host in NO_PROXY`;
}
