/**
 * Slack and OTLP through a corporate proxy: a real HTTP proxy (the `proxy` package) on 127.0.0.1,
 * requiring credentials, that records every target it is asked for. The expected targets are the
 * fake servers' own addresses; which ones pass is the proxy's record, not the receiver's word.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProxy, type ProxyServer } from 'proxy';
import { refreshAccessToken } from '../src/slack/oauth.js';
import { SlackFatalError } from '../src/core/errors.js';
import { settingsFromEnv } from '../src/config/config.js';
import { startSelfTelemetry } from '../src/telemetry/meter-provider.js';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { FakeOAuth } from '../src/testing/fake-oauth.js';
import { deadLetterFileFor } from '../src/state/dead-letter-file.js';
import {
  expectExactlyOnce,
  expectNoTokenLeak,
  freePort,
  harnessPerTest,
  makeEntries,
  readDeadLetters,
  RecordingLogger,
  TEST_TOKEN,
  type Harness,
} from './helpers.js';

const PROXY_USER = 'proxy-user';
const PROXY_PASSWORD = 'proxy-pass-not-real-0123';

/** A proxy that wants `PROXY_USER:PROXY_PASSWORD` and keeps the target (`host:port`) of each tunnel or forwarded request. */
async function startProxy(): Promise<{ url: string; targets: string[]; refused: number; stop(): Promise<void> }> {
  const server: ProxyServer = createProxy(createServer());
  const state = { targets: [] as string[], refused: 0 };
  const expected = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`;
  server.authenticate = (req: IncomingMessage) => {
    const ok = req.headers['proxy-authorization'] === expected;
    if (!ok) state.refused++;
    return ok;
  };
  // A tunnel names its target as `host:port`; a forwarded request as an absolute URL.
  server.prependListener('connect', (req: IncomingMessage) => state.targets.push(String(req.url)));
  server.prependListener('request', (req: IncomingMessage) => state.targets.push(new URL(String(req.url)).host));
  // Tunnels leave the server's connection tracking: closed here, or `close` waits for their keep-alive.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${port}`,
    get targets() {
      return state.targets;
    },
    get refused() {
      return state.refused;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const VARIABLES = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'grpc_proxy', 'no_grpc_proxy'];
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of VARIABLES) delete process.env[name];
});
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const hostOf = (url: string) => new URL(url).host;

/** The proxy password is nowhere a host would see it. */
function expectNoProxyPassword(h: Harness): void {
  const text = [h.logger.allText, JSON.stringify(h.logger.lines.map((l) => l.fields ?? null)), h.errors.join('\n')].join('\n');
  expect(text.includes(PROXY_PASSWORD), 'proxy password in output').toBe(false);
}

describe('Slack and OTLP/HTTP through HTTP_PROXY', () => {
  const harness = harnessPerTest();
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  it('with NO_PROXY naming the collector: every Slack request through the proxy, OTLP straight to the collector', async () => {
    const entries = makeEntries(25);
    const h = await harness.start({ entries });
    proxy = await startProxy();
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = `localhost,${hostOf(h.endpoint)}`;
    const receiver = h.receiver({ backfillStartTime: 0 });
    await receiver.syncOnce();

    expectExactlyOnce(h.collector.records, entries);
    const slackHost = hostOf(h.slack.url);
    expect(proxy.targets.length).toBeGreaterThan(0);
    expect(new Set(proxy.targets)).toEqual(new Set([slackHost]));
    expect(proxy.refused).toBe(0);
    expectNoProxyPassword(h);
    await expectNoTokenLeak(h);
  });

  it('without NO_PROXY: the OTLP requests go through the proxy too (lower-case http_proxy)', async () => {
    const entries = makeEntries(25);
    const h = await harness.start({ entries });
    proxy = await startProxy();
    process.env.http_proxy = proxy.url;
    const receiver = h.receiver({ backfillStartTime: 0 });
    await receiver.syncOnce();

    expectExactlyOnce(h.collector.records, entries);
    expect(new Set(proxy.targets)).toEqual(new Set([hostOf(h.slack.url), hostOf(h.endpoint)]));
    // http-proxy-agent forwards each OTLP request on its own: one per request the collector saw.
    expect(proxy.targets.filter((t) => t === hostOf(h.endpoint)).length).toBe(h.collector.requests);
    expect(proxy.refused).toBe(0);
    expectNoProxyPassword(h);
  });

  it('Slack cannot be reached around the proxy: with the proxy down the pass fails, nothing is delivered, no proxy password shown', async () => {
    const h = await harness.start({ entries: makeEntries(5) });
    const closed = await freePort();
    process.env.HTTP_PROXY = `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${closed}`;
    const receiver = h.receiver({ backfillStartTime: 0, retryDeadline: 1 });
    const error = await h.failingPass(receiver);

    expect(error.message).toMatch(/Slack request failed \(ECONNREFUSED\)/);
    expect(h.slack.requests.length).toBe(0);
    expect(h.collector.records.length).toBe(0);
    expectNoProxyPassword(h);
  });

  it('wrong proxy credentials: one line naming HTTP 407 and the variable to fix, no retry, no password shown', async () => {
    const h = await harness.start({ entries: makeEntries(5) });
    proxy = await startProxy();
    process.env.HTTP_PROXY = proxy.url.replace(PROXY_PASSWORD, `${PROXY_PASSWORD}-wrong`);
    const receiver = h.receiver({ backfillStartTime: 0, retryDeadline: 1 });
    const error = await h.failingPass(receiver);

    // Refused once, and not retried: a wrong password needs a person.
    expect(proxy.refused).toBe(1);
    expect(h.slack.requests.length).toBe(0);
    expect(error).toBeInstanceOf(SlackFatalError);
    expect((error as SlackFatalError).code).toBe('proxy_auth');
    expect(error.message).toBe(
      'Slack team.integrationLogs failed: the proxy refused its credentials (HTTP 407): check the user and password in HTTPS_PROXY (or HTTP_PROXY)',
    );
    expectNoProxyPassword(h);
  });

  it('a proxy that answers 502 instead of a tunnel: retried within the deadline, then one line naming the status', async () => {
    const h = await harness.start({ entries: makeEntries(5) });
    // A gateway that cannot reach anything: every CONNECT gets 502 (the `proxy` package always connects).
    const gateway = createServer();
    let tunnelsAsked = 0;
    gateway.on('connect', (_req: IncomingMessage, socket: Socket) => {
      tunnelsAsked++;
      socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      process.env.HTTP_PROXY = `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      const error = await h.failingPass(h.receiver({ backfillStartTime: 0, retryDeadline: 2 }));

      // Retried: the first try, then at least the last one at the deadline; each one a tunnel asked for.
      expect(tunnelsAsked).toBeGreaterThanOrEqual(2);
      expect(error.message).toContain(`and ${tunnelsAsked} attempt(s)`);
      expect(error.message).toMatch(
        /^Slack team\.integrationLogs page 1 failed: the proxy answered HTTP 502 instead of connecting to Slack: check that it lets the receiver reach SLACK_API_URL's host, or list that host in NO_PROXY; gave up after /,
      );
      expect(h.slack.requests.length).toBe(0);
      expectNoProxyPassword(h);
    } finally {
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
    }
  });

  it('without any proxy variable nothing changes: Slack and the collector are reached directly', async () => {
    const entries = makeEntries(5);
    const h = await harness.start({ entries });
    proxy = await startProxy();
    const receiver = h.receiver({ backfillStartTime: 0 });
    await receiver.syncOnce();
    expectExactlyOnce(h.collector.records, entries);
    expect(proxy.targets).toEqual([]);
  });
});

describe('OTLP through the proxy: a refusal, and gRPC', () => {
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  // Registered first, so it runs after the harness's cleanup: the collector's graceful stop needs the tunnels.
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });
  const harness = harnessPerTest();

  it("OTLP/HTTP refused by the proxy (407): the pass fails naming the proxy's credentials, nothing is dead-lettered, no password shown", async () => {
    const h = await harness.start({ entries: makeEntries(5) });
    proxy = await startProxy();
    process.env.HTTP_PROXY = proxy.url.replace(PROXY_PASSWORD, `${PROXY_PASSWORD}-wrong`);
    process.env.NO_PROXY = hostOf(h.slack.url);
    const error = await h.failingPass(h.receiver({ backfillStartTime: 0 }));

    expect(proxy.targets).toEqual([hostOf(h.endpoint)]);
    expect(proxy.refused).toBe(1);
    expect(h.collector.requests).toBe(0);
    expect(error.message).toContain('HTTP 407');
    expect(error.message).toContain('check the user and password in HTTPS_PROXY (or HTTP_PROXY)');
    expect(readDeadLetters(deadLetterFileFor(h.cursorFile))).toEqual([]);
    expectNoProxyPassword(h);
  });

  it('OTLP/gRPC goes through http_proxy by itself (grpc-js reads grpc_proxy, https_proxy, http_proxy: lower case only)', async () => {
    const entries = makeEntries(12);
    const h = await harness.start({ entries, protocol: 'grpc' });
    proxy = await startProxy();
    process.env.http_proxy = proxy.url;
    process.env.NO_PROXY = hostOf(h.slack.url);
    const receiver = h.receiver({ backfillStartTime: 0 });
    await receiver.syncOnce();
    await h.shutdown(receiver);

    expectExactlyOnce(h.collector.records, entries);
    // Slack, told apart by NO_PROXY (upper case, which grpc-js does not read), went straight.
    expect(new Set(proxy.targets)).toEqual(new Set([hostOf(h.endpoint)]));
    expect(proxy.refused).toBe(0);
    expectNoProxyPassword(h);
  });
});

describe('self-metrics through the proxy', () => {
  it("the CLI's own OTLP/HTTP metric exporter picks the proxy as the logs exporter does", async () => {
    const proxy = await startProxy();
    try {
      process.env.HTTP_PROXY = proxy.url;
      // Nothing needs to listen there: the proxy records the target it was asked to reach.
      const collector = `127.0.0.1:${await freePort()}`;
      const telemetry = await startSelfTelemetry(
        settingsFromEnv({
          SLACK_TOKEN: TEST_TOKEN,
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://${collector}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        }),
        new RecordingLogger(),
      );
      telemetry.meterProvider!.getMeter('test').createCounter('probe').add(1);
      await telemetry.shutdown();
      expect(proxy.targets).toEqual([collector]);
    } finally {
      await proxy.stop();
    }
  });
});

describe('the token refresh through the proxy', () => {
  it('oauth.v2.access goes through HTTPS_PROXY/HTTP_PROXY like the pages do', async () => {
    const client = { clientId: '1234.5678', clientSecret: 'client-secret-for-tests-0123456789' };
    const refreshToken = 'xoxe-1-initial-refresh-token-for-tests';
    const oauth = new FakeOAuth({ ...client, refreshToken, expiresIn: 3600 });
    const slack = await new FakeSlack({ token: TEST_TOKEN, oauth }).start();
    const proxy = await startProxy();
    try {
      process.env.HTTP_PROXY = proxy.url;
      const result = await refreshAccessToken({ slackApiUrl: slack.url, ...client, refreshToken, timeoutMs: 5000 });
      expect(result.access_token).toBe(oauth.issued[0]);
      expect(proxy.targets).toEqual([hostOf(slack.url)]);
    } finally {
      await proxy.stop();
      await slack.stop();
    }
  });
});
