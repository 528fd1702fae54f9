/**
 * One settings table (src/config/settings.ts): the README's "Settings" table, `--help` (through
 * ENV_VARS), the documented options (src/config/options.ts, read with the TypeScript compiler) and
 * the parser, with its one precedence rule, all follow it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV_VARS, optionsFromEnv, readSettings, resolveConfig, settingsFromEnv, type Settings } from '../src/config/config.js';
import { SETTINGS, type Setting } from '../src/config/settings.js';
import { ConfigError } from '../src/core/errors.js';
import { TEST_TOKEN } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');
const settings = SETTINGS as readonly Setting[];
const dir = mkdtempSync(join(tmpdir(), 'settings-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The README row a setting must have: variable(s), option, default, range, meaning. */
function readmeRow(s: Setting): string {
  const [first, ...rest] = s.env;
  const variable = rest.length === 0 ? `\`${first}\`` : `\`${rest.at(-1)}\` (\`${first}\` wins)`;
  const option = s.kind === 'filter' ? `\`filters.${s.filter}\`` : `\`${s.option}\``;
  const fallback = s.default !== undefined ? `\`${s.default}\`` : s.option === 'token' ? 'required' : 'unset';
  const range = s.choices
    ? s.choices.map((c) => `\`${c}\``).join(', ')
    : s.min !== undefined
      ? s.kind === 'duration'
        ? `${s.min}s to ${s.max! / 3600}h`
        : `${s.min} to ${s.max}`
      : '';
  return `| ${variable} | ${option} | ${fallback} | ${range} | ${s.meaning} |`;
}

describe('the settings table', () => {
  it("is the README's settings table, row for row", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Settings');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toEqual(settings.map(readmeRow));
  });

  it('names every variable as the own one of one setting; only the general OTLP ones serve several signals', () => {
    const own = settings.map((s) => s.env[0]!);
    expect(new Set(own).size).toBe(own.length);
    const general = settings.flatMap((s) => s.env.slice(1));
    for (const name of general) expect(own, name).not.toContain(name);
    expect([...new Set(general)].sort()).toEqual([
      'OTEL_EXPORTER_OTLP_COMPRESSION',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_EXPORTER_OTLP_TIMEOUT',
    ]);
  });

  it('--help lists every variable with its default', () => {
    const help = ENV_VARS.map((v) => v.name).join('\n');
    for (const name of settings.flatMap((s) => s.env)) expect(help).toContain(name);
    expect(ENV_VARS.find((v) => v.name === 'SLACK_POLL_INTERVAL')?.default).toBe('60s');
  });
});

// ---------------------------------------------------------------------------------------------
// The parser: every variable read into its setting, by the one precedence rule

const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'xoxp-from-the-file-not-real\n');
const refreshTokenFile = join(dir, 'refresh-token');
writeFileSync(refreshTokenFile, 'xoxe-1-refresh-from-the-file-not-real\n');
const clientSecretFile = join(dir, 'client-secret');
writeFileSync(clientSecretFile, 'client-secret-from-the-file\n');

/** A valid text for each variable, and what the parser must make of it (written by hand). */
const SAMPLE: Record<string, { text: string; value: unknown }> = {
  SLACK_TOKEN: { text: 'xoxp-sample-not-real', value: 'xoxp-sample-not-real' },
  SLACK_TOKEN_FILE: { text: tokenFile, value: 'xoxp-from-the-file-not-real' },
  SLACK_REFRESH_TOKEN: { text: 'xoxe-1-refresh-sample', value: 'xoxe-1-refresh-sample' },
  SLACK_REFRESH_TOKEN_FILE: { text: refreshTokenFile, value: 'xoxe-1-refresh-from-the-file-not-real' },
  SLACK_CLIENT_ID: { text: '123.456', value: '123.456' },
  SLACK_CLIENT_SECRET: { text: 'client-secret-sample', value: 'client-secret-sample' },
  SLACK_CLIENT_SECRET_FILE: { text: clientSecretFile, value: 'client-secret-from-the-file' },
  SLACK_API_URL: { text: 'http://127.0.0.1:9/api/', value: 'http://127.0.0.1:9/api/' },
  SLACK_BACKFILL_START_TIME: { text: '2026-01-31', value: 1_769_817_600 },
  SLACK_CURSOR_FILE: { text: '/var/lib/slack/cursor.json', value: '/var/lib/slack/cursor.json' },
  SLACK_POLL_INTERVAL: { text: '7m', value: 420_000 },
  SLACK_PAGE_SIZE: { text: '7', value: 7 },
  SLACK_RETRY_DEADLINE: { text: '90', value: 90_000 },
  SLACK_PROGRESS_INTERVAL: { text: '250ms', value: 250 },
  SLACK_INVENTORY_INTERVAL: { text: '6h', value: 21_600_000 },
  SLACK_TIMESTAMP_POLICY: { text: 'observed', value: 'observed' },
  SLACK_TEAM_ID: { text: 'T1, T2,T1', value: ['T1', 'T2'] },
  SLACK_TEAM_EXCLUDE: { text: 'T7,T8', value: ['T7', 'T8'] },
  SLACK_TEAM_CONCURRENCY: { text: '3', value: 3 },
  SLACK_CHANGE_TYPE: { text: 'removed', value: 'removed' },
  SLACK_APP_ID: { text: 'A123', value: 'A123' },
  SLACK_SERVICE_ID: { text: '456', value: '456' },
  SLACK_USER: { text: 'U789', value: 'U789' },
  OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: { text: 'grpc', value: 'grpc' },
  OTEL_EXPORTER_OTLP_PROTOCOL: { text: 'http/protobuf', value: 'http/protobuf' },
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: { text: 'http://c.example:4318/p', value: 'http://c.example:4318/p' },
  OTEL_EXPORTER_OTLP_ENDPOINT: { text: 'http://base.example:4318/p', value: 'http://base.example:4318/p/v1/logs' },
  OTEL_EXPORTER_OTLP_LOGS_HEADERS: { text: 'a=1', value: { a: '1' } },
  OTEL_EXPORTER_OTLP_HEADERS: { text: 'b=2%2C3', value: { b: '2,3' } },
  OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: { text: 'gzip', value: 'gzip' },
  OTEL_EXPORTER_OTLP_COMPRESSION: { text: 'gzip', value: 'gzip' },
  OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: { text: '700', value: 700 },
  OTEL_EXPORTER_OTLP_TIMEOUT: { text: '800', value: 800 },
  SLACK_HEALTH_ENDPOINT: { text: '9999', value: { host: '127.0.0.1', port: 9999 } },
  OTEL_SERVICE_NAME: { text: 'svc-sample', value: 'svc-sample' },
  OTEL_RESOURCE_ATTRIBUTES: { text: 'k=v', value: { k: 'v' } },
  OTEL_METRICS_EXPORTER: { text: 'Console', value: ['console'] },
  OTEL_METRIC_EXPORT_INTERVAL: { text: '90000', value: 90_000 },
  OTEL_METRIC_EXPORT_TIMEOUT: { text: '4000', value: 4000 },
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: { text: 'grpc', value: 'grpc' },
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: { text: 'http://m.example:4318/x', value: 'http://m.example:4318/x' },
};

/** Where each setting lands in what the parser returns (written by hand, not from the table). */
const LANDS: Record<string, (s: Settings) => unknown> = {
  token: (s) => s.receiver.token,
  tokenFile: (s) => s.receiver.token,
  refreshToken: (s) => s.receiver.rotation?.refreshToken.value,
  refreshTokenFile: (s) => s.receiver.rotation?.refreshToken.value,
  clientId: (s) => s.receiver.rotation?.clientId,
  clientSecret: (s) => s.receiver.rotation?.clientSecret.value,
  clientSecretFile: (s) => s.receiver.rotation?.clientSecret.value,
  slackApiUrl: (s) => s.receiver.slackApiUrl,
  backfillStartTime: (s) => s.receiver.backfillStart,
  cursorFile: (s) => s.receiver.cursorFile,
  pollInterval: (s) => s.receiver.pollIntervalMs,
  pageSize: (s) => s.receiver.pageSize,
  retryDeadline: (s) => s.receiver.retryDeadlineMs,
  progressInterval: (s) => s.receiver.progressIntervalMs,
  inventoryInterval: (s) => s.receiver.inventoryIntervalMs,
  timestampPolicy: (s) => s.receiver.timestampPolicy,
  slackTeamIds: (s) => s.receiver.teamIds,
  teamExclude: (s) => s.receiver.teamExclude,
  teamConcurrency: (s) => s.receiver.teamConcurrency,
  otlpProtocol: (s) => s.receiver.otlp.protocol,
  otlpEndpoint: (s) => s.receiver.otlp.url,
  otlpHeaders: (s) => s.receiver.otlp.headers,
  otlpCompression: (s) => s.receiver.otlp.compression,
  otlpTimeoutMillis: (s) => s.receiver.otlp.timeoutMillis,
  healthEndpoint: (s) => s.receiver.healthEndpoint,
  serviceName: (s) => s.receiver.serviceName,
  resourceAttributes: (s) => s.receiver.resourceAttributes,
  metricsExporter: (s) => s.selfMetrics!.exporters,
  metricExportIntervalMillis: (s) => s.selfMetrics!.exportIntervalMillis,
  metricExportTimeoutMillis: (s) => s.selfMetrics!.exportTimeoutMillis,
  metricsProtocol: (s) => s.selfMetrics!.otlp.protocol,
  metricsEndpoint: (s) => s.selfMetrics!.otlp.url,
};
/** Token rotation's settings come together: each is read with the other two given. */
const ROTATION: Record<string, Record<string, string>> = {
  refreshToken: { SLACK_CLIENT_ID: '1.2', SLACK_CLIENT_SECRET: 'other-secret' },
  refreshTokenFile: { SLACK_CLIENT_ID: '1.2', SLACK_CLIENT_SECRET: 'other-secret' },
  clientId: { SLACK_REFRESH_TOKEN: 'xoxe-1-other', SLACK_CLIENT_SECRET: 'other-secret' },
  clientSecret: { SLACK_REFRESH_TOKEN: 'xoxe-1-other', SLACK_CLIENT_ID: '1.2' },
  clientSecretFile: { SLACK_REFRESH_TOKEN: 'xoxe-1-other', SLACK_CLIENT_ID: '1.2' },
};
const landing = (s: Setting) =>
  s.kind === 'filter' ? (r: Settings) => (r.receiver.filters as Record<string, unknown>)[s.filter!] : LANDS[s.option]!;

describe('the parser', () => {
  it('has a sample for every variable and a landing for every setting', () => {
    expect(Object.keys(SAMPLE).sort()).toEqual([...new Set(settings.flatMap((s) => s.env))].sort());
    for (const s of settings) expect(landing(s), s.option).toBeTypeOf('function');
  });

  it.each(settings.flatMap((s) => s.env.map((name) => [name, s] as const)))('%s alone is read into its setting', (name, s) => {
    const env = { SLACK_TOKEN: name === 'SLACK_TOKEN_FILE' ? undefined : TEST_TOKEN, ...ROTATION[s.option], [name]: SAMPLE[name]!.text };
    // The metrics' base URL gets the metrics path, not the logs one.
    const expected =
      s.option === 'metricsEndpoint' && name === 'OTEL_EXPORTER_OTLP_ENDPOINT'
        ? 'http://base.example:4318/p/v1/metrics'
        : SAMPLE[name]!.value;
    expect(landing(s)(settingsFromEnv(env))).toEqual(expected);
  });

  it.each(settings.filter((s) => s.env.length > 1).map((s) => [s.env[0]!, s] as const))('%s wins over the general variable', (name, s) => {
    const general = s.env.at(-1)!;
    // A valid general value that differs from the specific one.
    const other = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' }[general] ?? SAMPLE[general]!.text;
    const env = { SLACK_TOKEN: TEST_TOKEN, [general]: other, [name]: SAMPLE[name]!.text };
    expect(landing(s)(settingsFromEnv(env))).toEqual(SAMPLE[name]!.value);
  });

  it('an option given to the library wins over the environment, and a blank variable counts as unset', () => {
    const env = {
      SLACK_TOKEN: TEST_TOKEN,
      SLACK_POLL_INTERVAL: '7m',
      SLACK_PAGE_SIZE: '7',
      SLACK_APP_ID: 'A-env',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://env.example:4318/v1/logs',
      OTEL_SERVICE_NAME: ' ',
    };
    const c = resolveConfig({
      ...optionsFromEnv(env),
      pollInterval: 5,
      pageSize: 50,
      filters: { app_id: 'A-option' },
      otlpProtocol: 'grpc',
      otlpEndpoint: 'http://option.example:4317',
    });
    expect([c.pollIntervalMs, c.pageSize, c.filters, c.otlp.protocol, c.otlp.url]).toEqual([
      5000,
      50,
      { app_id: 'A-option' },
      'grpc',
      'http://option.example:4317',
    ]);
    expect(c.serviceName).toBe('slack-integration-logs');
  });

  it("an invalid variable under an option's value is not a problem: the option is used", () => {
    expect(resolveConfig({ ...optionsFromEnv({ SLACK_TOKEN: TEST_TOKEN, SLACK_PAGE_SIZE: 'lots' }), pageSize: 9 }).pageSize).toBe(9);
  });

  it('the self-metrics follow the records when their own variables are unset', () => {
    const metrics = (env: Record<string, string>) => settingsFromEnv({ SLACK_TOKEN: TEST_TOKEN, ...env }).selfMetrics!.otlp;
    expect(metrics({ OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf' })).toEqual({
      protocol: 'http/protobuf',
      url: 'http://localhost:4318/v1/metrics',
    });
    expect(metrics({ OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' })).toEqual({ protocol: 'grpc', url: 'http://localhost:4317' });
    expect(metrics({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' })).toEqual({ protocol: 'grpc', url: 'http://localhost:4317' });
    expect(metrics({ OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' })).toEqual({
      protocol: 'http/json',
      url: 'http://localhost:4318/v1/metrics',
    });
  });
});

describe('one message for every problem, the self-metrics ones included', () => {
  const env = {
    SLACK_TOKEN: TEST_TOKEN,
    SLACK_PAGE_SIZE: '0',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http',
    OTEL_METRIC_EXPORT_INTERVAL: '60s',
  };

  it('settingsFromEnv lists each problem once (OTEL_EXPORTER_OTLP_PROTOCOL serves both signals)', () => {
    let error: unknown;
    try {
      settingsFromEnv(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect([...(error as ConfigError).problems].sort()).toEqual([
      'OTEL_EXPORTER_OTLP_PROTOCOL "http" is not one of http/json, http/protobuf, grpc',
      'OTEL_METRIC_EXPORT_INTERVAL "60s" is not a whole number from 1 to 86400000',
      'SLACK_PAGE_SIZE "0" is not a whole number from 1 to 1000',
    ]);
    expect((error as Error).message).not.toContain('\n');
  });

  it('an invalid OTEL_EXPORTER_OTLP_ENDPOINT, read for the records and the metrics, is said once', () => {
    expect(readSettings({ SLACK_TOKEN: TEST_TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).problems).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT "collector:4318" is not an http(s) URL (e.g. http://localhost:4318)',
    ]);
  });

  it('without the standalone settings (a host MeterProvider takes the metrics), theirs are not read', () => {
    expect(() => settingsFromEnv({ SLACK_TOKEN: TEST_TOKEN, OTEL_METRICS_EXPORTER: 'prometheus' }, { standalone: false })).not.toThrow();
    expect(settingsFromEnv({ SLACK_TOKEN: TEST_TOKEN }, { standalone: false }).selfMetrics).toBeUndefined();
  });

  it('readSettings keeps a valid receiver apart from invalid self-metrics (register starts the receiver)', () => {
    const reading = readSettings({ SLACK_TOKEN: TEST_TOKEN, SLACK_PAGE_SIZE: '9', OTEL_METRICS_EXPORTER: 'prometheus' });
    expect(reading.receiver?.pageSize).toBe(9);
    expect(reading.selfMetrics).toBeUndefined();
    expect(reading.problems).toEqual([
      'OTEL_METRICS_EXPORTER "prometheus" is not one of otlp, console, none (for Prometheus, let the collector expose the metrics)',
    ]);
    const broken = readSettings(env);
    expect(broken.receiver).toBeUndefined();
    expect(broken.problems).toHaveLength(3);
  });
});

// ---------------------------------------------------------------------------------------------
// The documented options: what an editor shows is the table's default

interface DocumentedProperty {
  name: string;
  comment: string;
  defaults: string[];
}

/** The properties of SlackIntegrationLogsReceiverOptions, read by the TypeScript compiler. */
function documentedOptions(): DocumentedProperty[] {
  const file = join(ROOT, 'src', 'config', 'options.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const declaration = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'SlackIntegrationLogsReceiverOptions',
  );
  expect(declaration).toBeDefined();
  return declaration!.members.filter(ts.isPropertySignature).map((member) => {
    const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
    return {
      name: member.name.getText(source),
      comment: docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join('\n'),
      defaults: ts
        .getJSDocTags(member)
        .filter((t) => t.tagName.text === 'default')
        .map((t) => ts.getTextOfJSDocComment(t.comment) ?? ''),
    };
  });
}

describe('SlackIntegrationLogsReceiverOptions', () => {
  const properties = documentedOptions();
  const options = settings.filter((s) => !s.standalone);

  it('every property has a description and one @default', () => {
    for (const p of properties) {
      expect(p.comment.trim(), p.name).not.toBe('');
      expect(p.defaults, p.name).toHaveLength(1);
    }
  });

  it("every option of the table is a property whose @default is the table's default, naming its variables", () => {
    for (const s of options) {
      const p = properties.find((q) => q.name === s.option);
      expect(p, s.option).toBeDefined();
      expect(p!.defaults[0]!.replace(/^"(.*)"$/, '$1'), s.option).toBe(s.default ?? 'undefined');
      for (const name of s.env) expect(p!.comment, s.option).toContain(`\`${name}\``);
    }
  });

  it('the other properties are the embedding-only ones', () => {
    const fromTable = new Set(options.map((s) => s.option));
    expect(properties.map((p) => p.name).filter((name) => !fromTable.has(name))).toEqual([
      'resource',
      'meterProvider',
      'logger',
      'rebuildInventory',
    ]);
  });
});
