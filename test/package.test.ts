import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** What `npm pack` ships, and that the README's API section matches src/index.ts. */

const ROOT = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('the package', () => {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }));
  const files: string[] = packed[0].files.map((f: { path: string }) => f.path);

  it('ships the built entry points, types, README and collector config', () => {
    for (const f of [
      'package.json',
      'README.md',
      'otel-collector.yaml',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli.js',
      'dist/register.js',
      'dist/register.d.ts',
      'dist/testing/index.js',
      'dist/testing/index.d.ts',
      'dist/testing/otlp-logs.proto',
    ]) {
      expect(files, f).toContain(f);
    }
  });

  it('ships no tests, fixtures, sources, benchmarks or examples', () => {
    const unwanted = files.filter(
      (f) =>
        /^(test|src|bench|examples|scripts|\.ci)\//.test(f) ||
        (/\.ts$/.test(f) && !f.endsWith('.d.ts')) ||
        /\.test\./.test(f) ||
        /golden|fixtures/.test(f),
    );
    expect(unwanted).toEqual([]);
  });

  it('holds compiled project code only: each JavaScript file is the build of a source file of ours', () => {
    const js = files.filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(20);
    for (const f of js) {
      const source = f.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
      expect(existsSync(join(ROOT, source)) || f === 'dist/generated/package-info.js', `${f} <- ${source}`).toBe(true);
    }
  });

  it('declares every third-party package its build imports (nothing bundled, so npm ls and audits see them)', () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const imported = new Set<string>();
    for (const f of files.filter((f) => f.endsWith('.js'))) {
      for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/\bfrom\s+'([^'.][^']*)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('node:')) continue;
        imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect([...imported].filter((p) => !declared.has(p))).toEqual([]);
    expect(imported).toContain('@opentelemetry/sdk-logs');
  });

  it('knows its version when bundled into a host with esbuild, where no package.json is at hand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundled-host-'));
    try {
      await build({
        entryPoints: [join(ROOT, 'dist', 'cli.js')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        outfile: join(dir, 'server.mjs'),
        banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
        logLevel: 'error',
      });
      expect(execFileSync(process.execPath, [join(dir, 'server.mjs'), '--version'], { cwd: dir, encoding: 'utf8' }).trim()).toBe(
        pkg.version,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has a bin, exports map and engines that point at real files', () => {
    expect(pkg.name).toBe('slack-integration-logs-receiver');
    expect(pkg.bin['slack-integration-logs']).toBe('dist/cli.js');
    expect(readFileSync(join(ROOT, pkg.bin['slack-integration-logs']), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(pkg.type).toBe('module');
    expect(pkg.engines.node).toBe('>=20.18.1'); // undici (the proxy dispatcher) needs 20.18.1
    for (const [entry, target] of Object.entries(pkg.exports as Record<string, string | Record<string, string>>)) {
      const paths = typeof target === 'string' ? [target] : Object.values(target);
      for (const p of paths) expect(existsSync(join(ROOT, p)), `${entry} -> ${p}`).toBe(true);
    }
    expect(pkg.peerDependencies['@opentelemetry/api']).toBeDefined();
  });
});

describe('the test kit, as a host installs it', () => {
  // A host's test: the packed tarball unpacked into a host's node_modules (its dependencies
  // linked from ours), imported by the package's export names, over every OTLP protocol.
  const HOST_TEST = `
import { join } from 'node:path';
import { FakeSlack, startFakeCollector } from 'slack-integration-logs-receiver/testing';
import { SlackIntegrationLogsReceiver } from 'slack-integration-logs-receiver';

const token = 'xoxp-kit-host-not-a-real-token';
const entries = [
  { app_id: 'AKIT1', user_id: 'U1', date: '1700000000', change_type: 'added' },
  { app_id: 'AKIT2', user_id: 'U2', date: '1700000001', change_type: 'removed' },
];
const quiet = { debug() {}, info() {}, warn() {}, error(m) { process.stderr.write(m + '\\n'); } };
const got = {};
for (const protocol of ['http/json', 'http/protobuf', 'grpc']) {
  const slack = await new FakeSlack({ token, entries }).start();
  const otlp = await startFakeCollector(protocol);
  const receiver = new SlackIntegrationLogsReceiver({
    token,
    slackApiUrl: slack.url,
    otlpEndpoint: otlp.endpoint,
    otlpProtocol: protocol,
    cursorFile: join(process.cwd(), protocol.replace('/', '-') + '.cursor.json'),
    backfillStartTime: 0,
    inventoryInterval: 0,
    logger: quiet,
  });
  await receiver.syncOnce();
  await receiver.shutdown();
  got[protocol] = otlp.collector.records.map((r) => [r.attributes['slack.integration.app_id'], String(r.timeUnixNano)]);
  await otlp.stop();
  await slack.stop();
}
console.log(JSON.stringify(got));
`;

  it('imports slack-integration-logs-receiver/testing from the packed package and decodes every protocol', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-host-'));
    try {
      const [{ filename }] = JSON.parse(
        execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }),
      );
      execFileSync('tar', ['-xzf', join(dir, filename), '-C', dir]);
      const modules = join(dir, 'host', 'node_modules');
      mkdirSync(modules, { recursive: true });
      renameSync(join(dir, 'package'), join(modules, pkg.name));
      for (const dep of readdirSync(join(ROOT, 'node_modules'))) {
        if (!dep.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', dep), join(modules, dep));
      }
      writeFileSync(join(dir, 'host', 'kit.test.mjs'), HOST_TEST);
      const out = execFileSync(process.execPath, ['kit.test.mjs'], { cwd: join(dir, 'host'), encoding: 'utf8' });
      const both = [
        ['AKIT1', '1700000000000000000'],
        ['AKIT2', '1700000001000000000'],
      ];
      expect(JSON.parse(out)).toEqual({ 'http/json': both, 'http/protobuf': both, grpc: both });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('README', () => {
  it('is a few screens: under 15,000 characters, library use within the first 150 lines, every docs/ page linked', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme.length).toBeLessThan(15_000);
    expect(readme.split('\n').findIndex((l) => l === '## Library use')).toBeLessThan(150);
    for (const page of readdirSync(join(ROOT, 'docs'))) expect(readme, page).toContain(`(docs/${page})`);
  });
});

describe('README API section', () => {
  it('names every export of src/index.ts', () => {
    const index = readFileSync(join(ROOT, 'src', 'index.ts'), 'utf8');
    const names = [...index.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)]
      .flatMap((m) => m[1]!.split(','))
      .map((s) => s.replace(/\btype\b/, '').trim())
      .filter(Boolean);
    expect(names.length).toBeGreaterThan(10);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const api = readme.slice(readme.indexOf('## Library use'), readme.indexOf('\n## ', readme.indexOf('## Library use') + 5));
    for (const name of names) expect(api, name).toContain(`\`${name}\``);
  });
});

describe('docs/troubleshooting.md', () => {
  it('lists every Slack error code the receiver knows', async () => {
    const { FATAL_FIXES, TRANSIENT_CODES, PAGINATION_LIMIT_CODE } = await import('../src/slack/codes.js');
    const section = readFileSync(join(ROOT, 'docs', 'troubleshooting.md'), 'utf8');
    for (const code of [...Object.keys(FATAL_FIXES), ...TRANSIENT_CODES, PAGINATION_LIMIT_CODE]) {
      expect(section, code).toContain(`\`${code}\``);
    }
    for (const [code, fix] of Object.entries(FATAL_FIXES)) expect(section, code).toContain(fix);
  });
});
