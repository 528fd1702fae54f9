import type { InventoryItem } from '../types.js';

/**
 * Arrays (`scopes`, `sensitive_scopes`) in one cell, joined by a space: OAuth's own separator for a
 * scope list (RFC 6749, section 3.3), and a scope name never contains one.
 */
export const CSV_ARRAY_SEPARATOR = ' ';

/** The columns, in order: the JSON fields, nested ones flattened with `_`. The timeline is left to JSON and HTML. */
const COLUMNS: [string, (item: InventoryItem) => string | string[] | undefined][] = [
  ['team_id', (i) => i.team_id],
  ['app_id', (i) => i.app_id],
  ['service_id', (i) => i.service_id],
  ['app_type', (i) => i.app_type],
  ['service_type', (i) => i.service_type],
  ['status', (i) => i.status],
  ['scopes', (i) => i.scopes],
  ['sensitive_scopes', (i) => i.sensitive_scopes],
  ['added_by_id', (i) => i.added_by?.id],
  ['added_by_name', (i) => i.added_by?.name],
  ['added_at', (i) => i.added_at],
  ['last_change_type', (i) => i.last_change.change_type],
  ['last_change_user_id', (i) => i.last_change.user_id],
  ['last_change_user_name', (i) => i.last_change.user_name],
  ['last_change_at', (i) => i.last_change.at],
  ['last_change_reason', (i) => i.last_change.reason],
  ['channel_id', (i) => i.channel_id],
];

/**
 * RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. A field
 * that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first: names come from
 * Slack, anyone can pick them) gets a leading `'`, as OWASP advises for CSV injection.
 */
function field(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** `inventory --csv`: a header row, then one row per item; CRLF line ends (RFC 4180). */
export function inventoryCsv(items: readonly InventoryItem[]): string {
  const rows = [
    COLUMNS.map(([name]) => name),
    ...items.map((item) =>
      COLUMNS.map(([, get]) => {
        const value = get(item);
        return Array.isArray(value) ? value.join(CSV_ARRAY_SEPARATOR) : (value ?? '');
      }),
    ),
  ];
  return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}
