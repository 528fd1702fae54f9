import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT_CODES, NoInventoryError, exitCodeOfSummary } from './core/errors.js';
import type { SyncSummary } from './core/types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './core/version.js';
import { inventoryCsv } from './inventory/report/csv.js';
import { inventoryHtml } from './inventory/report/html.js';
import { inventoryJson } from './inventory/report/json.js';
import { inventoryTable } from './inventory/report/table.js';
import type { InventoryItem } from './inventory/types.js';
import { writeFileAtomic } from './state/atomic-write.js';

/** What the command needs of a receiver: its saved inventory, its cursor files, and a pass for `--refresh`. */
export interface InventorySource {
  /** Every cursor file, by team ID (`''` without teams): the page's title names the teams. */
  readonly cursorFiles: Record<string, string>;
  inventory(): Promise<InventoryItem[]>;
  syncOnce(): Promise<SyncSummary>;
  shutdown(): Promise<void>;
}

export interface InventoryCommandIo {
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
  /** The receiver with the same settings as a run (the environment), not yet started. */
  open(env: Record<string, string | undefined>): InventorySource;
  now?: () => Date;
}

export const INVENTORY_HELP = `Usage: slack-integration-logs inventory [--json | --csv | --html FILE] [--refresh]
  Prints the apps and integrations the integration log says can reach the workspace, from the
  inventory saved beside the cursor (same settings as a run: SLACK_CURSOR_FILE, SLACK_TEAM_ID...).
  (default)     a table for a terminal; sensitive scopes marked *
  --json        one JSON array, one element per app (the shape of receiver.inventory())
  --csv         the same as CSV (RFC 4180), a header row, scopes separated by spaces
  --html FILE   writes one self-contained page (the table, and each app's timeline) to FILE
  --refresh     runs one sync pass first (exports what is new, like --once)
Exit codes: 0 printed; 2 no inventory yet, or bad arguments; others as for --once (5: printed,
  but the --refresh pass had records refused).
`;

/** The width a table gets when stdout is no terminal: fits a page, a mail, a ticket. */
const WIDTH_OFF_TERMINAL = 100;

type Format = { kind: 'table' } | { kind: 'json' } | { kind: 'csv' } | { kind: 'html'; file: string };

/** The format the arguments ask for, or the one line that says what is wrong with them. */
export function formatOf(values: { json?: boolean; csv?: boolean; html?: string }): Format | string {
  const chosen = [values.json && '--json', values.csv && '--csv', values.html !== undefined && '--html'].filter(Boolean);
  if (chosen.length > 1) return `choose one output: ${chosen.join(' and ')} were both given`;
  if (values.html === '') return '--html needs a file name: --html inventory.html';
  if (values.json) return { kind: 'json' };
  if (values.csv) return { kind: 'csv' };
  return values.html !== undefined ? { kind: 'html', file: values.html } : { kind: 'table' };
}

/** `slack-integration-logs inventory ...`: returns the exit code; errors of the receiver (settings, Slack, cursor) propagate. */
export async function runInventoryCommand(argv: string[], io: InventoryCommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean' },
        csv: { type: 'boolean' },
        html: { type: 'string' },
        refresh: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    io.stderr.write(`slack-integration-logs inventory: ${(e as Error).message}; see inventory --help\n`);
    return EXIT_CODES.config;
  }
  if (values.help) {
    io.stdout.write(INVENTORY_HELP);
    return EXIT_CODES.ok;
  }
  const format = formatOf(values);
  if (typeof format === 'string') {
    io.stderr.write(`slack-integration-logs inventory: ${format}\n`);
    return EXIT_CODES.config;
  }

  const source = io.open(io.env);
  try {
    const refreshed = values.refresh ? await source.syncOnce() : undefined;
    const items = await source.inventory().catch((error: unknown) => {
      if (!(error instanceof NoInventoryError)) throw error;
      // The receiver's message names the cursor file and `--once`; here a second way exists.
      io.stderr.write(`slack-integration-logs inventory: ${error.message}; or run \`slack-integration-logs inventory --refresh\`\n`);
      return undefined;
    });
    if (!items) return EXIT_CODES.config;
    await write(format, items, Object.keys(source.cursorFiles).filter(Boolean), io);
    return refreshed ? exitCodeOfSummary(refreshed) : EXIT_CODES.ok;
  } finally {
    await source.shutdown();
  }
}

async function write(format: Format, items: InventoryItem[], teams: string[], io: InventoryCommandIo): Promise<void> {
  switch (format.kind) {
    case 'json':
      io.stdout.write(inventoryJson(items));
      return;
    case 'csv':
      io.stdout.write(inventoryCsv(items));
      return;
    case 'html': {
      const file = resolve(format.file);
      const html = inventoryHtml(items, {
        generatedAt: (io.now ?? (() => new Date()))(),
        teams,
        generator: `${PACKAGE_NAME} ${PACKAGE_VERSION}`,
      });
      // An evidence file is whole or absent, never half-written.
      await writeFileAtomic(file, `${file}.tmp`, html);
      io.stderr.write(`${new Date().toISOString()} INFO inventory of ${items.length} app(s) and integration(s) written to ${file}\n`);
      return;
    }
    case 'table': {
      const terminal = io.stdout.isTTY === true;
      const width = terminal ? (io.stdout.columns ?? 80) : Number(io.env.COLUMNS) || WIDTH_OFF_TERMINAL;
      // https://no-color.org: NO_COLOR set to anything but the empty string turns colour off.
      io.stdout.write(inventoryTable(items, { width, color: terminal && !io.env.NO_COLOR }));
    }
  }
}
