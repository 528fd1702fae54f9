import type { InventoryItem } from '../types.js';
import { itemId, itemType, person, readingOrder, shortUtc, summaryLine } from './fields.js';
import { printable, widthOf, wrapWords } from './text.js';

/** Marks a sensitive scope in the table, for readers without colour and on paper too. */
export const SENSITIVE_MARK = '*';
export const TABLE_LEGEND = `${SENSITIVE_MARK} sensitive scope: reads messages, files or people's data, or administers the workspace (docs/detections.md, "Sensitive scopes"). Times are UTC.`;

export interface TableOptions {
  /** Columns of the terminal; the scopes wrap to fit it. */
  width: number;
  /** ANSI colour (sensitive scopes in bold red): only for a terminal. */
  color: boolean;
}

/** The widest a name column gets before its text wraps: leaves the scopes room on an 80-column terminal. */
const MAX_TEXT_COLUMN = 22;
const GAP = '  ';
const BOLD_RED = (text: string) => `\x1b[1;31m${text}\x1b[0m`;
const BOLD = (text: string) => `\x1b[1m${text}\x1b[0m`;

interface Column {
  header: string;
  cells: (item: InventoryItem) => string[];
  /** Narrowest it gets on a small terminal (default: its header; `Infinity`: never narrowed). */
  floor?: number;
}

/** `2026-12-04 13:05`: a time is never wrapped. */
const TIME_WIDTH = 16;

const lines = (...texts: (string | undefined)[]) => texts.filter((t): t is string => !!t).map(printable);

const SCOPES = 'SCOPES';
const COLUMNS: Column[] = [
  { header: 'APP / SERVICE', cells: (i) => lines(itemType(i), itemId(i), i.channel_id && `in ${i.channel_id}`) },
  { header: 'STATUS', floor: Infinity, cells: (i) => lines(i.status) },
  {
    header: SCOPES,
    cells: (i) => i.scopes.map((s) => printable(i.sensitive_scopes.includes(s) ? `${SENSITIVE_MARK}${s}` : s)),
  },
  { header: 'ADDED', floor: TIME_WIDTH, cells: (i) => lines(shortUtc(i.added_at), person(i.added_by?.id, i.added_by?.name)) },
  {
    header: 'LAST CHANGE',
    floor: TIME_WIDTH,
    cells: (i) =>
      lines(
        i.last_change.reason ? `${i.last_change.change_type} (${i.last_change.reason})` : i.last_change.change_type,
        shortUtc(i.last_change.at),
        person(i.last_change.user_id, i.last_change.user_name),
      ),
  },
];

/**
 * The default output of `inventory`: one block of lines per app, in reading order, sensitive
 * scopes marked with `*` (and red in a terminal), a legend and a count below.
 */
export function inventoryTable(items: readonly InventoryItem[], options: TableOptions): string {
  if (items.length === 0) return 'No apps or integrations: the integration log mentions none.\n';
  const cols = COLUMNS;
  const ordered = readingOrder(items);
  const raw = ordered.map((item) => cols.map((col) => col.cells(item)));

  const scopeIndex = cols.findIndex((col) => col.header === SCOPES);
  const widths = cols.map((col, c) =>
    c === scopeIndex
      ? 0
      : Math.max(widthOf(col.header), ...raw.flatMap((row) => row[c]!.map((line) => Math.min(widthOf(line), MAX_TEXT_COLUMN)))),
  );
  const longestScope = Math.max(0, ...raw.flatMap((row) => row[scopeIndex]!.map(widthOf)));
  widths[scopeIndex] = Math.max(widthOf(SCOPES), Math.min(longestScope, MAX_TEXT_COLUMN));
  // Too wide for the terminal: narrow the widest column, one character at a time, down to its
  // header; a scope name is never cut.
  const floors = cols.map((col, c) => (c === scopeIndex ? widths[c]! : Math.min(widths[c]!, col.floor ?? widthOf(col.header))));
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP.length * (cols.length - 1);
  while (total() > options.width) {
    const widest = widths.reduce((w, width, c) => (width > floors[c]! && (w < 0 || width > widths[w]!) ? c : w), -1);
    if (widest < 0) break;
    widths[widest]!--;
  }
  widths[scopeIndex]! += Math.max(0, options.width - total());

  const block = (cells: string[][]) => {
    const wrapped = cells.map((cell, c) =>
      c === scopeIndex ? wrapWords(cell, widths[c]!) : cell.flatMap((line) => wrapWords(line.split(' '), widths[c]!)),
    );
    const height = Math.max(1, ...wrapped.map((cell) => cell.length));
    return Array.from({ length: height }, (_, l) =>
      wrapped
        .map((cell, c) => {
          const text = cell[l] ?? '';
          const padded = c === cols.length - 1 ? text : text + ' '.repeat(widths[c]! - widthOf(text));
          return options.color && c === scopeIndex ? padded.replace(/(?<=^| )\*\S+/g, BOLD_RED) : padded;
        })
        .join(GAP)
        .trimEnd(),
    );
  };

  const header = cols.map((col, c) => col.header.padEnd(c === cols.length - 1 ? 0 : widths[c]!)).join(GAP);
  const rule = '-'.repeat(Math.min(options.width, total()));
  // Enterprise Grid: each team's apps under a line naming it, rather than a column that leaves the scopes no room.
  const teamLine = (r: number) => {
    const team = ordered[r]!.team_id;
    return team && team !== ordered[r - 1]?.team_id ? [`TEAM ${printable(team)}`] : [];
  };
  const rows = raw.flatMap((cells, r) => [...(r > 0 ? [''] : []), ...teamLine(r), ...block(cells)]);
  const out = [options.color ? BOLD(header) : header, rule, ...rows];
  const legend = wrapWords(TABLE_LEGEND.split(' '), options.width);
  if (options.color) legend[0] = legend[0]!.replace(SENSITIVE_MARK, BOLD_RED(SENSITIVE_MARK));
  return [...out, rule, ...legend, ...wrapWords(summaryLine(items).split(' '), options.width), ''].join('\n');
}
