import { httpAgentFactoryFromOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import { getProxyForUrl } from 'proxy-from-env';

/** The exporter's agent factory type (the package exports the function, not its type's name). */
type HttpAgentFactory = ReturnType<typeof httpAgentFactoryFromOptions>;

/**
 * The HTTP agent factory for an OTLP/HTTP endpoint: a tunnelling (`https:`) or forwarding (`http:`)
 * proxy agent when `HTTPS_PROXY`/`HTTP_PROXY` (or `ALL_PROXY`) select a proxy for this URL and
 * `NO_PROXY` does not exclude it, as `proxy-from-env` decides; the exporter's own keep-alive agent
 * otherwise. The agents are imported on first use, as the exporter asks of a factory (HTTP
 * instrumentation must be able to patch `http` first).
 */
export function otlpAgentFactory(url: string): HttpAgentFactory {
  const proxy = getProxyForUrl(url);
  if (!proxy) return httpAgentFactoryFromOptions({ keepAlive: true });
  return async (protocol: string) => {
    if (protocol === 'https:') {
      const { HttpsProxyAgent } = await import('https-proxy-agent');
      return new HttpsProxyAgent(proxy, { keepAlive: true });
    }
    const { HttpProxyAgent } = await import('http-proxy-agent');
    return new HttpProxyAgent(proxy, { keepAlive: true });
  };
}
