import { createHash } from 'node:crypto';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';
import type { CursorPosition, SlackIntegrationLogFilters } from '../core/types.js';
import type { AppChange, AppState, Inventory } from '../inventory/fold.js';
import { InventoryEncoder, type EncodedApps } from './inventory-encoder.js';
import {
  appChangesSchema,
  CURSOR_FORMAT,
  CURSOR_VERSION,
  fileSchema,
  inventorySchema,
  READ_VERSIONS,
  saveSchema,
  version2InventorySchema,
} from './cursor-schema.js';

/**
 * The cursor file's meaning and format (version 3). Pure: reading and writing are in `cursor-store.ts`.
 *
 * JSON lines. The first holds the whole state; each line after it, one save since:
 * ```
 * {"format":"slack-integration-logs-receiver/cursor","version":3,"position":{"date":1392163202,"delivered":{"<fingerprint>":1}},"hint":{"order":"newest-first"},"backfillStart":1392163200,"scope":{"teamId":"T0123ABCD","filters":{}},"updatedAt":"2026-12-01T10:00:00.000Z","inventory":{"apps":{"app:A0123":{"status":"active","scopes":["chat:write"],...,"timeline":[...]}}}}
 * {"position":{"date":1392163300,"delivered":{}},"hint":{"order":"newest-first"},"backfillStart":1392163200,"updatedAt":"2026-12-01T10:05:00.000Z","apps":{"app:A0123":{"status":"removed",...,"timeline_dropped":0,"timeline":[<changes appended>]}}}
 * ```
 * A save line replaces the position, hint, start and `undated`, and of the inventory the apps it
 * names, each whole or as a patch (`timeline_dropped`: the fields given replace, the timeline loses
 * that many of its oldest changes and gets the line's). An app's `last_change` is its timeline's
 * newest unless given; a change is `[change_type, at, user_id, user_name, reason, scopes_added,
 * scopes_removed]`, without the nulls at its end (`inventory-encoder.ts`). A save appends its line
 * and returns once it is on disk, so the inventory is always exactly what the position covers; a
 * save cut short leaves a last line without its line break, or not JSON, which is not read. The
 * store writes the file whole (a temp file, renamed over it) at its first save and now and then
 * (`cursor-store.ts`). Versions 1 and 2 (one JSON document; 1 without inventory) are read.
 *
 * `inventory` is the fold of every entry the position covers (docs/inventory.md). Absent: not
 * built yet (the next pass reads the whole log). `undated` counts delivered entries that had no
 * usable `date`, by fingerprint. `position.date` (Unix seconds) and every entry before it are
 * delivered; of the entries dated exactly `position.date`, `delivered` counts those delivered, by
 * fingerprint. `hint` only saves requests (oldest-first: `{order, offset, count}` locates the
 * cursor's page) and is always checked against the data.
 */
export { CURSOR_FORMAT, CURSOR_VERSION } from './cursor-schema.js';

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

export function initialState(backfillStart: number, scope?: CursorScope): CursorState {
  return { position: { date: backfillStart, delivered: {} }, backfillStart, persisted: false, ...(scope ? { scope } : {}) };
}

/** The file's first line but its inventory: the state, the format and the scope. */
function firstLine(state: CursorState, now: Date): string {
  const line: z.infer<typeof fileSchema> = {
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
  return JSON.stringify(line);
}

/**
 * The whole file: its first line, the state with its whole inventory, as pieces written one after
 * the other (10,000 apps are megabytes: never one string). `apps`: the inventory as the file's
 * encoder encoded it (the store's, so that it knows what the file holds).
 */
export function cursorPieces(state: CursorState, now = new Date(), apps?: EncodedApps): Uint8Array[] {
  return withApps(firstLine(state, now), 'inventory', state.inventory && (apps ?? new InventoryEncoder().all(state.inventory)));
}

/**
 * A save line, appended to the file: the state but the scope, and of the inventory only the apps
 * that changed since the line before (`changes`, from the file's encoder).
 */
export function savePieces(state: CursorState, now: Date, changes: EncodedApps | undefined): Uint8Array[] {
  const line: z.infer<typeof saveSchema> = {
    position: state.position,
    ...(state.hint ? { hint: state.hint } : {}),
    backfillStart: state.backfillStart,
    ...(state.undated ? { undated: state.undated } : {}),
    updatedAt: now.toISOString(),
  };
  return withApps(JSON.stringify(line), 'apps', changes);
}

function withApps(head: string, field: string, apps: EncodedApps | undefined): Uint8Array[] {
  if (!apps) return [Buffer.from(`${head}\n`)];
  return [Buffer.from(`${head.slice(0, -1)},"${field}":`), ...apps.pieces, LINE_END];
}
const LINE_END = Buffer.from('}\n');

/** What a save line must share with the file's first line. */
export interface FirstLine {
  scope?: CursorScope;
  inventory: boolean;
}

export function firstLineOf(state: CursorState): FirstLine {
  return { ...(state.scope ? { scope: state.scope } : {}), inventory: state.inventory !== undefined };
}

/** Whether a save line of `state` can follow `first`: the same scope, an inventory in both or neither. */
export function canFollow(first: FirstLine, state: CursorState): boolean {
  const scopes =
    first.scope === state.scope || (first.scope !== undefined && state.scope !== undefined && sameScope(first.scope, state.scope));
  return scopes && first.inventory === (state.inventory !== undefined);
}

/** The file's text, written whole: `cursorPieces` joined. */
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
  const newline = text.indexOf('\n');
  const head = newline >= 0 ? jsonOf(text.slice(0, newline)) : undefined;
  if (head === undefined || (head as { version?: unknown } | null)?.version !== CURSOR_VERSION) {
    // Version 1 or 2: one JSON document, indented.
    const json = jsonOf(text);
    const version = (head as { version?: unknown } | undefined)?.version;
    // A later version's journal: named as such, not as a damaged file.
    if (json === undefined && typeof version === 'number' && !READ_VERSIONS.includes(version)) return stateOf(head, expected, options);
    if (json === undefined) throw new Error(`not valid JSON (${jsonError(text)})`);
    return stateOf(json, expected, options);
  }
  let state = stateOf(head, expected, options);
  const lines = text.slice(newline + 1).split('\n');
  // After the last line break: a line cut short (a save that never returned), or nothing.
  lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const json = jsonOf(lines[i]!);
    if (json !== undefined) state = applySave(state, json, i + 2, options);
    // A line cut short has no line break, unless the file system kept the break and lost the
    // text before it: as the last line, it is a save that never returned.
    else if (i < lines.length - 1) throw new Error(`damaged at line ${i + 2}: not valid JSON (${jsonError(lines[i]!)})`);
  }
  return state;
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return 'valid';
  } catch (e) {
    return (e as Error).message;
  }
}

/** The state of a version 1 or 2 file, or of a version 3 file's first line. */
function stateOf(json: unknown, expected: CursorScope | undefined, options: ParseOptions): CursorState {
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && !READ_VERSIONS.includes(version)) {
    throw new Error(`format version ${version} is not one this release reads (it reads ${READ_VERSIONS.join(', ')})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`not a cursor file of this receiver (${issue.path.join('.') || 'top level'}: ${issue.message})`);
  }
  const { position, hint, backfillStart, scope, undated } = parsed.data;
  const inventory = options.rebuildInventory ? undefined : parseInventory(parsed.data.inventory, parsed.data.version);
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
function parseInventory(json: unknown, version: number): Inventory | undefined {
  if (json === undefined) return undefined;
  const parsed = (version === CURSOR_VERSION ? inventorySchema : version2InventorySchema).safeParse(json);
  if (!parsed.success) throw damaged('inventory', parsed.error);
  const inventory = new Map<string, AppState>();
  for (const [key, app] of Object.entries(parsed.data.apps)) inventory.set(key, withLastChange(app, `inventory.apps.${key}`));
  return inventory;
}

function damaged(where: string, error: z.ZodError): InventoryStateError {
  const issue = error.issues[0]!;
  return new InventoryStateError(`its inventory is damaged (${[where, ...issue.path].join('.')}: ${issue.message})`);
}

/** An app as the file has it: without `last_change`, that is its timeline's newest change. */
function withLastChange<App extends { last_change?: AppChange; timeline: AppChange[] }>(app: App, where: string): AppState {
  if (app.last_change) return app as unknown as AppState;
  const newest = app.timeline[app.timeline.length - 1];
  if (!newest) throw new InventoryStateError(`its inventory is damaged (${where}: no last_change, and no timeline)`);
  return { ...app, last_change: newest } as unknown as AppState;
}

/** `state` after the save line `json` (line `line` of the file). Its inventory is changed in place: it is the parse's own. */
function applySave(state: CursorState, json: unknown, line: number, options: ParseOptions): CursorState {
  const parsed = saveSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`damaged at line ${line} (${issue.path.join('.') || 'top level'}: ${issue.message})`);
  }
  const { position, hint, backfillStart, undated, apps } = parsed.data;
  const next: CursorState = { position, hint, backfillStart, persisted: true, ...(undated ? { undated } : {}) };
  if (state.scope) next.scope = state.scope;
  if (options.rebuildInventory) return next;
  if ((apps === undefined) !== (state.inventory === undefined)) {
    throw new InventoryStateError(
      `its inventory is damaged (line ${line}: ${apps === undefined ? 'no apps' : 'apps without an inventory'})`,
    );
  }
  if (state.inventory) next.inventory = applyChanges(state.inventory as Map<string, AppState>, apps, line);
  return next;
}

function applyChanges(inventory: Map<string, AppState>, json: unknown, line: number): Inventory {
  const parsed = appChangesSchema.safeParse(json);
  if (!parsed.success) throw damaged(`line ${line}, apps`, parsed.error);
  for (const [key, app] of Object.entries(parsed.data)) {
    const where = `line ${line}, apps.${key}`;
    if (!('timeline_dropped' in app)) {
      inventory.set(key, withLastChange(app, where));
      continue;
    }
    const { timeline_dropped: dropped, timeline, ...fields } = app;
    const before = inventory.get(key);
    if (!before || dropped > before.timeline.length) {
      throw new InventoryStateError(
        `its inventory is damaged (${where}: drops ${dropped} changes of a timeline of ${before?.timeline.length ?? 0})`,
      );
    }
    // Not given: the newest change of the timeline it makes.
    const { last_change: _, ...kept } = before;
    inventory.set(key, withLastChange({ ...kept, ...fields, timeline: [...before.timeline.slice(dropped), ...timeline] }, where));
  }
  return inventory;
}
