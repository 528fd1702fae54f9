import { createHash } from 'node:crypto';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';
import type { CursorPosition, SlackIntegrationLogFilters } from '../core/types.js';

/**
 * The cursor file's meaning and format (version 1). Pure: reading and writing are in `store.ts`.
 *
 * ```json
 * {
 *   "format": "slack-integration-logs-receiver/cursor",
 *   "version": 1,
 *   "position": { "date": 1392163202, "delivered": { "<fingerprint>": 1 } },
 *   "hint": { "order": "newest-first" },
 *   "backfillStart": 1392163200,
 *   "scope": { "teamId": "T0123ABCD", "filters": { "change_type": "added" } },
 *   "updatedAt": "2026-12-01T10:00:00.000Z"
 * }
 * ```
 * `undated` counts delivered entries that had no usable `date`, by fingerprint.
 * `position.date` (Unix seconds) and every entry before it are delivered; of the entries dated
 * exactly `position.date`, `delivered` counts those delivered, by fingerprint. `hint` only saves
 * requests (oldest-first: `{order, offset, count}` locates the cursor's page) and is always checked
 * against the data.
 */
export const CURSOR_FORMAT = 'slack-integration-logs-receiver/cursor';
export const CURSOR_VERSION = 1;

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
}

const count = z.number().int().nonnegative();
/** Unix seconds up to the year 5000: anything later is not a date a cursor can hold. */
const unixSeconds = count.max(95_617_584_000);
const fileSchema = z.object({
  format: z.literal(CURSOR_FORMAT),
  version: z.literal(CURSOR_VERSION),
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
});

export function initialState(backfillStart: number, scope?: CursorScope): CursorState {
  return { position: { date: backfillStart, delivered: {} }, backfillStart, persisted: false, ...(scope ? { scope } : {}) };
}

export function serializeCursor(state: CursorState, now = new Date()): string {
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
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * @param expected when given, the file must be for this scope (or record none).
 * @throws Error naming what is wrong; the caller adds the file name and the fix.
 */
export function parseCursor(text: string, expected?: CursorScope): CursorState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== CURSOR_VERSION) {
    throw new Error(`format version ${version} is not one this release reads (it reads ${CURSOR_VERSION})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`not a cursor file of this receiver (${issue.path.join('.') || 'top level'}: ${issue.message})`);
  }
  const { position, hint, backfillStart, scope, undated } = parsed.data;
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
  };
}
