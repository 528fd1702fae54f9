/**
 * The OTLP exporter settings a user gets wrong: the protocol's spelling, gRPC endpoints, and which
 * of OTEL_EXPORTER_OTLP_LOGS_* and OTEL_EXPORTER_OTLP_* wins. Checked end to end where it matters
 * (records reach the fake collector of the right protocol, or a one-line error names the variable
 * to fix).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { optionsFromEnv, resolveConfig } from '../src/config/config.js';
import { SlackIntegrationLogsReceiver } from '../src/receiver.js';
import { TEST_TOKEN, expectNoTokenLeak, freePort, makeEntries, startHarness, type Harness } from './helpers.js';
import { ConfigError } from '../src/core/errors.js';

let h: Harness | undefined;
const extra: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of extra.splice(0).reverse()) await c();
  if (h) {
    try {
      await expectNoTokenLeak(h);
    } finally {
      await h.cleanup();
      h = undefined;
    }
  }
});

const config = (env: Record<string, string>) => resolveConfig(optionsFromEnv({ SLACK_TOKEN: TEST_TOKEN, ...env }));
const problem = (env: Record<string, string>): string => {
  try {
    config(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return 'no error';
};

/** An OTLP/HTTP JSON endpoint that keeps the headers of each request and answers as a collector. */
async function headerRecorder(): Promise<{ url: string; headers: IncomingHttpHeaders[] }> {
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    headers.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  extra.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`, headers };
}

/** Sets process.env variables for one test. */
function withProcessEnv(vars: Record<string, string>): void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  extra.push(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

describe('OTEL_EXPORTER_OTLP_PROTOCOL', () => {
  it('surrounding blanks are ignored; a blank value means the default', () => {
    expect(config({ OTEL_EXPORTER_OTLP_PROTOCOL: '  grpc ' }).otlp.protocol).toBe('grpc');
    expect(config({ OTEL_EXPORTER_OTLP_PROTOCOL: '   ' }).otlp.protocol).toBe('http/json');
    expect(config({ OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: '', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).otlp.protocol).toBe(
      'http/protobuf',
    );
  });

  it('an unknown or upper-case value: one line naming the variable and the three values', () => {
    for (const value of ['GRPC', 'http', 'http/proto', 'json']) {
      const message = problem({ OTEL_EXPORTER_OTLP_PROTOCOL: value });
      expect(message).toContain(`OTEL_EXPORTER_OTLP_PROTOCOL "${value}" is not one of http/json, http/protobuf, grpc`);
      expect(message).not.toContain('\n');
    }
  });

  it('a wrong OTEL_EXPORTER_OTLP_LOGS_PROTOCOL is reported under its own name (the one to fix)', () => {
    const message = problem({ OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grcp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(message).toContain('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL "grcp"');
  });

  it('a wrong OTEL_EXPORTER_OTLP_LOGS_TIMEOUT is reported under its own name', () => {
    const message = problem({ OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '10s', OTEL_EXPORTER_OTLP_TIMEOUT: '10000' });
    expect(message).toContain('OTEL_EXPORTER_OTLP_LOGS_TIMEOUT "10s"');
  });
});

describe('gRPC endpoints', () => {
  it('host:port without a scheme: a one-line error naming the variable and the form to use', () => {
    for (const endpoint of ['localhost:4317', '127.0.0.1:4317']) {
      const message = problem({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
      expect(message).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
      expect(message).toContain(JSON.stringify(endpoint));
      expect(message).not.toContain('\n');
    }
  });

  it('grpc with OTEL_EXPORTER_OTLP_ENDPOINT ending in a slash: delivered', async () => {
    const entries = makeEntries(3);
    h = await startHarness({ entries, protocol: 'grpc' });
    const r = h.receiverFromEnv({
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: `${h.endpoint}/`,
      SLACK_BACKFILL_START_TIME: '0',
    });
    await r.syncOnce();
    expect(h.collector.records).toHaveLength(3);
  });

  it('grpc chosen by option while OTEL_EXPORTER_OTLP_ENDPOINT comes from the environment: the base URL is used as is (no /v1/logs), delivered', async () => {
    const entries = makeEntries(3);
    h = await startHarness({ entries, protocol: 'grpc' });
    const r = h.receiverFromEnv(
      {
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_PROTOCOL: '',
        OTEL_EXPORTER_OTLP_ENDPOINT: h.endpoint,
        SLACK_BACKFILL_START_TIME: '0',
      },
      { otlpProtocol: 'grpc' },
    );
    await r.syncOnce();
    expect(h.collector.records).toHaveLength(3);
  });

  it('https:// against a collector that speaks plaintext gRPC: nothing is sent in clear text (TLS is used, the pass fails)', async () => {
    const entries = makeEntries(3);
    h = await startHarness({ entries, protocol: 'grpc' });
    const tls = h.endpoint.replace('http://', 'https://');
    const error = await h.failingPass(h.receiver({ backfillStartTime: 0, otlpEndpoint: tls, otlpTimeoutMillis: 1_000 }));
    expect(h.collector.records).toHaveLength(0);
    expect(error.message).not.toContain('\n');
  });
});

describe('OTEL_EXPORTER_OTLP_LOGS_* over OTEL_EXPORTER_OTLP_*, end to end', () => {
  it('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT wins over OTEL_EXPORTER_OTLP_ENDPOINT; OTEL_EXPORTER_OTLP_LOGS_PROTOCOL over OTEL_EXPORTER_OTLP_PROTOCOL', async () => {
    const entries = makeEntries(3);
    h = await startHarness({ entries, protocol: 'grpc' });
    const dead = `http://127.0.0.1:${await freePort()}`;
    const r = h.receiverFromEnv({
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: h.endpoint,
      OTEL_EXPORTER_OTLP_ENDPOINT: dead,
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      SLACK_BACKFILL_START_TIME: '0',
    });
    await r.syncOnce();
    expect(h.collector.records).toHaveLength(3);
  });

  it('OTEL_EXPORTER_OTLP_LOGS_HEADERS wins over OTEL_EXPORTER_OTLP_HEADERS ("the first one set wins"): the general headers are not sent too', async () => {
    const entries = makeEntries(2);
    h = await startHarness({ entries });
    const rec = await headerRecorder();
    withProcessEnv({ OTEL_EXPORTER_OTLP_HEADERS: 'x-general=general-value', OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-logs=logs-value' });
    const r = SlackIntegrationLogsReceiver.fromEnv(
      {
        ...process.env,
        SLACK_TOKEN: TEST_TOKEN,
        SLACK_API_URL: h.slack.url,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: rec.url,
        SLACK_CURSOR_FILE: h.cursorFile,
        SLACK_BACKFILL_START_TIME: '0',
      },
      { logger: h.logger },
    );
    extra.push(() => r.shutdown());
    await r.syncOnce();
    expect(rec.headers[0]!['x-logs']).toBe('logs-value');
    expect(rec.headers[0]!['x-general']).toBeUndefined();
  });

  it("fromEnv(env) of an embedding host: headers are read from that env only, never from the host's own process.env (its credentials for another backend)", async () => {
    const entries = makeEntries(2);
    h = await startHarness({ entries });
    const rec = await headerRecorder();
    // The host's own OTel setup, for its own vendor.
    withProcessEnv({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer host-vendor-key-not-real' });
    const r = SlackIntegrationLogsReceiver.fromEnv(
      {
        SLACK_TOKEN: TEST_TOKEN,
        SLACK_API_URL: h.slack.url,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: rec.url,
        SLACK_CURSOR_FILE: h.cursorFile,
        SLACK_BACKFILL_START_TIME: '0',
      },
      { logger: h.logger },
    );
    extra.push(() => r.shutdown());
    await r.syncOnce();
    expect(rec.headers[0]!.authorization).toBeUndefined();
  });
});
