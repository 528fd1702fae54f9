import { createHash } from 'node:crypto';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';
import type { CursorPosition, SlackIntegrationLogFilters } from '../core/types.js';
import type { AppState, Inventory } from '../inventory/fold.js';
import { InventoryEncoder } from './inventory-encoder.js';

/**
 * The cursor file's meaning and format (version 2). Pure: reading and writing are in `store.ts`.
 *
 * ```json
 * {
 *   "format": "slack-integration-logs-receiver/cursor",
 *   "version": 2,
 *   "position": { "date": 1392163202, "delivered": { "<fingerprint>": 1 } },
 *   "hint": { "order": "newest-first" },
 *   "backfillStart": 1392163200,
 *   "scope": { "teamId": "T0123ABCD", "filters": { "change_type": "added" } },
 *   "updatedAt": "2026-12-01T10:00:00.000Z",
 *   "inventory": { "apps": { "app:A0123": { "status": "active", "scopes": ["chat:write"], ... } } }
 * }
 * ```
 * `inventory` is the fold of every entry the position covers (docs/inventory.md), saved in the
 * same write, so after a crash the inventory is exactly what the saved cursor covers. Absent: not
 * built yet (the next pass reads the whole log). A version 1 file is read as one without it.
 * `undated` counts delivered entries that had no usable `date`, by fingerprint.
 * `position.date` (Unix seconds) and every entry before it are delivered; of the entries dated
 * exactly `position.date`, `delivered` counts those delivered, by fingerprint. `hint` only saves
 * requests (oldest-first: `{order, offset, count}` locates the cursor's page) and is always checked
 * against the data.
 */
export const CURSOR_FORMAT = 'slack-integration-logs-receiver/cursor';
export const CURSOR_VERSION = 2;
/** The previous version: read, and upgraded by building the inventory (never reset). */
const PREVIOUS_VERSION = 1;

export type CursorHint = { order: 'newest-first' } | { order: 'oldest-first'; offset: number; count: number };

/** What a cursor is a position in: one team (or the token's workspace) and one filter set. */
export interface CursorScope {
  teamId?: string;
  filters: SlackIntegrationLogFilters;
}

/**
 * The cursor file of a scope. Without team and filters: `base` itself. Otherwise the team id and a
 * short hash of the filter set go into the name, e.g. `cursor.T0123ABCD.json`,
 * `cursor.T0123ABCD.f-3fa9c1d2.json`, `cursor.f-3fa9c1d2.json`: a changed filter set starts a
 * cursor of its own instead of reusing one that skipped or would repeat entries.
 */
export function cursorFileFor(base: string, scope: CursorScope): string {
  const parts: string[] = [];
  if (scope.teamId) parts.push(scope.teamId.replace(/[^A-Za-z0-9_-]/g, '_'));
  const filters = canonicalFilters(scope.filters);
  if (Object.keys(filters).length > 0) {
    parts.push(`f-${createHash('sha256').update(JSON.stringify(filters)).digest('hex').slice(0, 8)}`);
  }
  if (parts.length === 0) return base;
  const ext = extname(base) || '.json';
  return join(dirname(base), `${basename(base, extname(base))}.${parts.join('.')}${ext}`);
}

function canonicalFilters(filters: SlackIntegrationLogFilters): Record<string, string> {
  return Object.fromEntries(
    Object.entries(filters)
      .filter(([, v]) => v !== undefined && v !== '')
      .sort(([a], [b]) => a.localeCompare(b)),
  ) as Record<string, string>;
}

function sameScope(a: CursorScope, b: CursorScope): boolean {
  return (
    (a.teamId ?? null) === (b.teamId ?? null) && JSON.stringify(canonicalFilters(a.filters)) === JSON.stringify(canonicalFilters(b.filters))
  );
}

export interface CursorState {
  position: CursorPosition;
  hint?: CursorHint;
  /** Unix seconds the first run started from. */
  backfillStart: number;
  /** Whether this state is on disk (false for the first run until its first save). */
  persisted: boolean;
  /** The team and filters the position is in; recorded in the file and checked on load. */
  scope?: CursorScope;
  /** Entries without a usable `date` delivered so far, counted by fingerprint (see `sync/delivery-filter.ts`). */
  undated?: Record<string, number>;
  /** The apps the position covers, by key; absent until built. Never changed in place. */
  inventory?: Inventory;
}

const count = z.number().int().nonnegative();
/** Unix seconds up to the year 5000: anything later is not a date a cursor can hold. */
const unixSeconds = count.max(95_617_584_000);
const text = z.string().min(1);
// Fields in the order the file has them (`inventory-encoder.ts`): parsed objects keep it.
const changeSchema = z.strictObject({
  change_type: text,
  at: unixSeconds,
  user_id: text.optional(),
  user_name: text.optional(),
  reason: text.optional(),
  scopes_added: z.array(text).optional(),
  scopes_removed: z.array(text).optional(),
});
const appSchema = z.strictObject({
  app_id: text.optional(),
  service_id: text.optional(),
  app_type: text.optional(),
  service_type: text.optional(),
  status: z.enum(['active', 'disabled', 'removed']),
  scopes: z.array(text),
  added_by: z.strictObject({ id: text.optional(), name: text.optional() }).optional(),
  added_at: unixSeconds.optional(),
  last_change: changeSchema,
  channel_id: text.optional(),
  timeline: z.array(changeSchema),
});
const inventorySchema = z.strictObject({ apps: z.record(z.string().regex(/^(app|service):./s), appSchema) });
const fileSchema = z.object({
  format: z.literal(CURSOR_FORMAT),
  version: z.union([z.literal(CURSOR_VERSION), z.literal(PREVIOUS_VERSION)]),
  position: z.object({
    date: unixSeconds,
    delivered: z.record(z.string().regex(/^[0-9a-f]{32}$/), count.min(1)),
  }),
  hint: z
    .discriminatedUnion('order', [
      z.object({ order: z.literal('newest-first') }),
      z.object({ order: z.literal('oldest-first'), offset: count, count: count.min(1) }),
    ])
    .optional(),
  backfillStart: unixSeconds,
  undated: z.record(z.string().regex(/^[0-9a-f]{32}$/), count.min(1)).optional(),
  scope: z.object({ teamId: z.string().optional(), filters: z.record(z.string(), z.string()) }).optional(),
  updatedAt: z.string().optional(),
  // Checked on its own (`parseInventory`): a damaged inventory has a fix of its own.
  inventory: z.unknown().optional(),
});

export function initialState(backfillStart: number, scope?: CursorScope): CursorState {
  return { position: { date: backfillStart, delivered: {} }, backfillStart, persisted: false, ...(scope ? { scope } : {}) };
}

/**
 * The file's bytes, as pieces written one after the other: the cursor indented for people, the
 * inventory (10,000 apps can be megabytes) on one line after it, a few pieces per app. Never the whole
 * file as one string: a backfill saves after every batch, and such strings (and their copies) are
 * big enough to go straight to the old generation. `encoder`: the one of the file's saves before.
 */
export function cursorPieces(state: CursorState, now = new Date(), encoder = new InventoryEncoder()): Uint8Array[] {
  const file: z.infer<typeof fileSchema> = {
    format: CURSOR_FORMAT,
    version: CURSOR_VERSION,
    position: state.position,
    ...(state.hint ? { hint: state.hint } : {}),
    backfillStart: state.backfillStart,
    ...(state.undated ? { undated: state.undated } : {}),
    ...(state.scope
      ? { scope: { ...(state.scope.teamId ? { teamId: state.scope.teamId } : {}), filters: canonicalFilters(state.scope.filters) } }
      : {}),
    updatedAt: now.toISOString(),
  };
  const head = JSON.stringify(file, null, 2);
  if (!state.inventory) return [Buffer.from(`${head}\n`)];
  return [Buffer.from(`${head.slice(0, -2)},\n  "inventory": `), ...encoder.pieces(state.inventory), FILE_END];
}

const FILE_END = Buffer.from('\n}\n');

/** The file's text: `cursorPieces` joined. */
export function serializeCursor(state: CursorState, now = new Date()): string {
  return Buffer.concat(cursorPieces(state, now)).toString('utf8');
}

/**
 * The cursor file's inventory cannot be read. The store turns it into a `CursorFileError` naming
 * the file and the fix (`--rebuild-inventory`): a damaged inventory is refused, never reset.
 */
export class InventoryStateError extends Error {
  override readonly name: string = 'InventoryStateError';
}

export interface ParseOptions {
  /** `--rebuild-inventory`: the saved inventory is not read (the next pass builds it again). */
  rebuildInventory?: boolean;
}

/**
 * @param expected when given, the file must be for this scope (or record none).
 * @throws Error naming what is wrong; the caller adds the file name and the fix.
 */
export function parseCursor(text: string, expected?: CursorScope, options: ParseOptions = {}): CursorState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== CURSOR_VERSION && version !== PREVIOUS_VERSION) {
    throw new Error(`format version ${version} is not one this release reads (it reads ${PREVIOUS_VERSION} and ${CURSOR_VERSION})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`not a cursor file of this receiver (${issue.path.join('.') || 'top level'}: ${issue.message})`);
  }
  const { position, hint, backfillStart, scope, undated } = parsed.data;
  const inventory = options.rebuildInventory ? undefined : parseInventory(parsed.data.inventory);
  if (expected && scope && !sameScope(scope, expected)) {
    throw new Error(
      `the cursor of another team or filter set (${JSON.stringify(scope)}, not ${JSON.stringify({ ...expected, filters: canonicalFilters(expected.filters) })})`,
    );
  }
  return {
    position,
    hint,
    backfillStart,
    persisted: true,
    ...(undated ? { undated } : {}),
    ...((expected ?? scope) ? { scope: expected ?? scope } : {}),
    ...(inventory ? { inventory } : {}),
  };
}

/** @throws InventoryStateError naming what is wrong. */
function parseInventory(json: unknown): Inventory | undefined {
  if (json === undefined) return undefined;
  const parsed = inventorySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InventoryStateError(`its inventory is damaged (inventory.${issue.path.join('.')}: ${issue.message})`);
  }
  return new Map(Object.entries(parsed.data.apps) as Array<[string, AppState]>);
}
