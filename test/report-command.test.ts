/**
 * The `inventory` command's logic (src/inventory-command.ts) in this process, against a source
 * built by hand: what it prints for each format, and what it says with no saved state.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoInventoryError } from '../src/core/errors.js';
import { formatOf, runInventoryCommand, type InventorySource } from '../src/inventory-command.js';
import type { SyncSummary } from '../src/core/types.js';
import type { InventoryItem } from '../src/inventory/types.js';
import { GENERATED_AT, GRID_ITEMS, ITEMS } from './report-items.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  calls: string[];
}

/** Runs the command on a source holding `items`, or no inventory at all unless `saved`. */
async function run(
  argv: string[],
  {
    items = ITEMS,
    saved = true,
    tty,
    env = {},
    teams = [''],
    deadLettered = 0,
  }: { items?: InventoryItem[]; saved?: boolean; tty?: number; env?: Record<string, string>; teams?: string[]; deadLettered?: number } = {},
): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'inventory-command-'));
  const cursorFiles = Object.fromEntries(teams.map((team) => [team, join(dir, `cursor${team ? `-${team}` : ''}.json`)]));
  const calls: string[] = [];
  const source: InventorySource = {
    cursorFiles,
    inventory: async () => {
      calls.push('inventory');
      if (!saved) throw new NoInventoryError(`no app inventory in ${cursorFiles['']} yet: run slack-integration-logs --once to build it`);
      return items;
    },
    syncOnce: async () => (calls.push('syncOnce'), { deadLettered, rejectedByCollector: 0 } as SyncSummary),
    shutdown: async () => void calls.push('shutdown'),
  };
  let stdout = '';
  let stderr = '';
  const code = await runInventoryCommand(argv, {
    env,
    stdout: { write: (t: string) => (stdout += t), isTTY: tty !== undefined, columns: tty },
    stderr: { write: (t: string) => (stderr += t) },
    open: () => source,
    now: () => GENERATED_AT,
  });
  return { code, stdout, stderr, calls };
}

describe('inventory command', () => {
  it('with no saved inventory: exit 2, one line that says so and both ways to build it', async () => {
    const r = await run([], { saved: false });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^slack-integration-logs inventory: no app inventory in \/.*cursor\.json yet: run slack-integration-logs --once to build it; or run `slack-integration-logs inventory --refresh`\n$/,
    );
    expect(r.calls).toEqual(['inventory', 'shutdown']);
  });

  it('--json prints the items as one array', async () => {
    const r = await run(['--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(ITEMS);
    expect(r.stderr).toBe('');
  });

  it('--csv prints a header and one row per item', async () => {
    const r = await run(['--csv'], { items: GRID_ITEMS });
    const rows = r.stdout.split('\r\n');
    expect(rows[0]).toMatch(/^team_id,app_id,service_id,/);
    expect(rows.slice(1, -1).map((row) => row.split(',').slice(0, 3).join(','))).toEqual([
      'T0002BETA,A0456GITHUB,',
      'T0001ALPHA,,1234567890',
      'T0001ALPHA,A0789TODO,',
    ]);
  });

  it('--html FILE writes the page there, titled with the configured teams', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'inventory-html-')), 'evidence.html');
    const r = await run(['--html', file], { teams: ['T0001ALPHA', 'T0002BETA'], items: GRID_ITEMS });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`written to ${file}`);
    const page = readFileSync(file, 'utf8');
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<title>Slack app inventory: teams T0001ALPHA, T0002BETA, 2026-12-07 13:20:05 UTC</title>');
  });

  it('prints the table without colour off a terminal, 100 columns or COLUMNS', async () => {
    const plain = await run([]);
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.stdout.split('\n')[1]).toBe('-'.repeat(100));
    const narrow = await run([], { env: { COLUMNS: '80' } });
    expect(narrow.stdout.split('\n')[1]).toBe('-'.repeat(80));
  });

  it('colours a terminal of its width, unless NO_COLOR is set', async () => {
    const tty = await run([], { tty: 120 });
    expect(tty.stdout).toContain('\u001b[1;31m*channels:history\u001b[0m');
    expect(tty.stdout.split('\n')[1]).toBe('-'.repeat(120));
    expect((await run([], { tty: 120, env: { NO_COLOR: '1' } })).stdout).not.toContain('\u001b[');
  });

  it('--refresh runs a pass before reading the inventory, and always shuts down', async () => {
    expect((await run(['--refresh', '--json'])).calls).toEqual(['syncOnce', 'inventory', 'shutdown']);
    expect((await run(['--refresh'], { saved: false })).calls).toEqual(['syncOnce', 'inventory', 'shutdown']);
  });

  it('--refresh whose pass dead-lettered records: prints, and exits 5 as --once would', async () => {
    const r = await run(['--refresh', '--json'], { deadLettered: 1 });
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stdout)).toEqual(ITEMS);
  });

  it.each([
    [['--json', '--csv'], 'choose one output: --json and --csv were both given'],
    [['--csv', '--html', 'x.html'], 'choose one output: --csv and --html were both given'],
    [['--html'], "Option '--html <value>' argument missing; see inventory --help"],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('%j: exit 2 and one line', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.calls).toEqual([]);
  });
});

describe('formatOf', () => {
  it('defaults to the table and refuses an empty file name', () => {
    expect(formatOf({})).toEqual({ kind: 'table' });
    expect(formatOf({ html: 'a.html' })).toEqual({ kind: 'html', file: 'a.html' });
    expect(formatOf({ html: '' })).toBe('--html needs a file name: --html inventory.html');
  });
});
