import { z } from 'zod';
import type { CursorPosition } from '../types.js';

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
 *   "updatedAt": "2026-12-01T10:00:00.000Z"
 * }
 * ```
 * `position.date` (Unix seconds) and every entry before it are delivered; of the entries dated
 * exactly `position.date`, `delivered` counts those delivered, by fingerprint. `hint` only saves
 * requests (oldest-first: `{order, offset, count}` locates the cursor's page) and is always checked
 * against the data.
 */
export const CURSOR_FORMAT = 'slack-integration-logs-receiver/cursor';
export const CURSOR_VERSION = 1;

export type CursorHint =
  | { order: 'newest-first' }
  | { order: 'oldest-first'; offset: number; count: number };

export interface CursorState {
  position: CursorPosition;
  hint?: CursorHint;
  /** Unix seconds the first run started from. */
  backfillStart: number;
  /** Whether this state is on disk (false for the first run until its first save). */
  persisted: boolean;
}

const count = z.number().int().nonnegative();
const fileSchema = z.object({
  format: z.literal(CURSOR_FORMAT),
  version: z.literal(CURSOR_VERSION),
  position: z.object({
    date: count,
    delivered: z.record(z.string().regex(/^[0-9a-f]{32}$/), count.min(1)),
  }),
  hint: z
    .discriminatedUnion('order', [
      z.object({ order: z.literal('newest-first') }),
      z.object({ order: z.literal('oldest-first'), offset: count, count: count.min(1) }),
    ])
    .optional(),
  backfillStart: count,
  updatedAt: z.string().optional(),
});

export function initialState(backfillStart: number): CursorState {
  return { position: { date: backfillStart, delivered: {} }, backfillStart, persisted: false };
}

export function serializeCursor(state: CursorState, now = new Date()): string {
  const file: z.infer<typeof fileSchema> = {
    format: CURSOR_FORMAT,
    version: CURSOR_VERSION,
    position: state.position,
    ...(state.hint ? { hint: state.hint } : {}),
    backfillStart: state.backfillStart,
    updatedAt: now.toISOString(),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** @throws Error naming what is wrong; the caller adds the file name and the fix. */
export function parseCursor(text: string): CursorState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
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
  const { position, hint, backfillStart } = parsed.data;
  return { position, hint, backfillStart, persisted: true };
}
