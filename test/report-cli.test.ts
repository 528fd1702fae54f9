/**
 * `slack-integration-logs inventory` as users run it: `node dist/cli.js` in a child process
 * (build first; `npm test` does it), against FakeSlack and a fake collector in this process.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoEntries } from '../src/testing/workspace.js';
import { TEST_TOKEN, expectNoTokenLeak, nowSeconds, startHarness, type Harness } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const NOW = nowSeconds();
const iso = (hoursAgo: number) => new Date((NOW - hoursAgo * 3600) * 1000).toISOString();

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let h: Harness | undefined;
const outputs: string[] = [];

function inventory(args: string[], s: Harness): Promise<Result> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: s.dir,
    LANG: 'C.UTF-8',
    SLACK_TOKEN: TEST_TOKEN,
    SLACK_API_URL: s.slack.url,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: s.endpoint,
    SLACK_CURSOR_FILE: s.cursorFile,
    SLACK_RETRY_DEADLINE: '5',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'inventory', ...args], { env, cwd: s.dir, timeout: 15_000 }, (error, stdout, stderr) => {
      outputs.push(stdout, stderr);
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it in pretest)`);
});

afterEach(async () => {
  const harness = h;
  h = undefined;
  try {
    for (const text of outputs.splice(0)) expect(text.includes(TEST_TOKEN.slice(5)), 'token in the output').toBe(false);
    if (harness) await expectNoTokenLeak(harness, TEST_TOKEN);
  } finally {
    await harness?.cleanup();
  }
});

describe('slack-integration-logs inventory', () => {
  it('with no state yet: exit 2, says so and how to build it', async () => {
    h = await startHarness({ entries: demoEntries(NOW) });
    const r = await inventory([], h);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `slack-integration-logs inventory: no app inventory in ${h.cursorFile} yet: run slack-integration-logs --once to build it ` +
        '(the first pass reads the whole log); or run `slack-integration-logs inventory --refresh`\n',
    );
    expect(h.collector.records).toHaveLength(0);
  });

  it('--refresh --json builds it with a pass; then every format reads the saved state', async () => {
    h = await startHarness({ entries: demoEntries(NOW) });
    const refreshed = await inventory(['--refresh', '--json'], h);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const items = JSON.parse(refreshed.stdout) as Record<string, any>[];
    // The backfill starts at the first run's time (the default): nothing older is exported, yet the
    // inventory covers the whole log.
    const exported = h.collector.records.length;

    // The demo workspace's log, folded by hand.
    const github = items.find((i) => i.app_id === 'A0456GITHUB')!;
    expect(github.status).toBe('active');
    expect([...github.scopes].sort()).toEqual(['channels:history', 'channels:read', 'chat:write', 'commands', 'users:read.email']);
    expect([...github.sensitive_scopes].sort()).toEqual(['channels:history', 'users:read.email']);
    expect(github.added_by).toEqual({ id: 'U2345BCDE', name: 'billy' });
    expect(github.added_at).toBe(iso(52));
    expect(github.last_change).toMatchObject({ change_type: 'expanded', user_id: 'U2345BCDE', user_name: 'billy', at: iso(30) });
    expect(items.find((i) => i.app_id === 'A0789TODO')).toMatchObject({ status: 'disabled', last_change: { reason: 'user' } });
    expect(items.find((i) => i.app_id === 'A0999LEGACY')).toMatchObject({ status: 'removed', scopes: [] });
    expect(items.find((i) => i.service_id === '3456789012')).toMatchObject({ status: 'disabled', channel_id: 'C0456ALERTS' });

    const saved = await inventory(['--json'], h);
    expect(saved.code).toBe(0);
    expect(JSON.parse(saved.stdout)).toEqual(items);

    const table = await inventory([], h);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^APP \/ SERVICE +STATUS +SCOPES/);
    expect(table.stdout).toContain('*channels:history');
    expect(table.stdout).not.toContain('\u001b[');

    const csv = await inventory(['--csv'], h);
    expect(csv.stdout.split('\r\n').filter(Boolean)).toHaveLength(items.length + 1);

    const file = join(h.dir, 'evidence.html');
    const html = await inventory(['--html', file], h);
    expect(html.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('<title>Slack app inventory: the workspace, ');
    expect(h.collector.records, 'only --refresh runs a pass').toHaveLength(exported);
  });
});
