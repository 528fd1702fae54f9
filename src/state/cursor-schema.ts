import { z } from 'zod';
import type { AppChange } from '../inventory/fold.js';

/** The cursor file's shape, line by line (its meaning: `cursor.ts`; docs/cursor.md). */
export const CURSOR_FORMAT = 'slack-integration-logs-receiver/cursor';
export const CURSOR_VERSION = 3;
/** Versions read: 1 (no inventory: built by the next pass, never reset) and 2 (one JSON document). */
export const READ_VERSIONS: readonly number[] = [1, 2, CURSOR_VERSION];

const count = z.number().int().nonnegative();
/** Unix seconds up to the year 5000: anything later is not a date a cursor can hold. */
const unixSeconds = count.max(95_617_584_000);
const text = z.string().min(1);
/** A timeline change as versions 1 and 2 wrote it. */
const changeObject = z.strictObject({
  change_type: text,
  at: unixSeconds,
  user_id: text.optional(),
  user_name: text.optional(),
  reason: text.optional(),
  scopes_added: z.array(text).optional(),
  scopes_removed: z.array(text).optional(),
});
/** As version 3 writes it (`inventory-encoder.ts`): `[change_type, at, user_id, user_name, reason, scopes_added, scopes_removed]`. */
const changeList = z
  .tuple([
    text,
    unixSeconds,
    text.nullable().optional(),
    text.nullable().optional(),
    text.nullable().optional(),
    z.array(text).nullable().optional(),
    z.array(text).optional(),
  ])
  .transform(([change_type, at, user_id, user_name, reason, scopes_added, scopes_removed]): AppChange => {
    const change: AppChange = { change_type, at };
    if (user_id != null) change.user_id = user_id;
    if (user_name != null) change.user_name = user_name;
    if (reason != null) change.reason = reason;
    if (scopes_added != null) change.scopes_added = scopes_added;
    if (scopes_removed !== undefined) change.scopes_removed = scopes_removed;
    return change;
  });
function appShape<Change extends z.ZodType<AppChange>>(change: Change) {
  return {
    app_id: text.optional(),
    service_id: text.optional(),
    app_type: text.optional(),
    service_type: text.optional(),
    status: z.enum(['active', 'disabled', 'removed']),
    scopes: z.array(text),
    added_by: z.strictObject({ id: text.optional(), name: text.optional() }).optional(),
    added_at: unixSeconds.optional(),
    last_change: change,
    channel_id: text.optional(),
    timeline: z.array(change),
  };
}
const appKey = z.string().regex(/^(app|service):./s);
export const version2InventorySchema = z.strictObject({ apps: z.record(appKey, z.strictObject(appShape(changeObject))) });
/** An app written whole: without `last_change` when that is its timeline's newest change. */
const wholeApp = z.strictObject({ ...appShape(changeList), last_change: changeList.optional() });
export const inventorySchema = z.strictObject({ apps: z.record(appKey, wholeApp) });
/** A save line's app: whole, or a patch (with `timeline_dropped`): the fields that changed. */
const changedApp = z.union([
  z.strictObject({ ...z.object(appShape(changeList)).partial().shape, timeline: z.array(changeList), timeline_dropped: count }),
  wholeApp,
]);
export const appChangesSchema = z.record(appKey, changedApp);

/** What every line holds: the state but its scope and inventory. */
const stateFields = {
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
  updatedAt: z.string().optional(),
};
/** The first line (or a version 1 or 2 file): the whole state. */
export const fileSchema = z.object({
  format: z.literal(CURSOR_FORMAT),
  version: z.number().refine((v) => READ_VERSIONS.includes(v)),
  ...stateFields,
  scope: z.object({ teamId: z.string().optional(), filters: z.record(z.string(), z.string()) }).optional(),
  // Checked on its own (`parseInventory`): a damaged inventory has a fix of its own.
  inventory: z.unknown().optional(),
});
/** A save line: the apps changed since the line before. */
export const saveSchema = z.strictObject({
  ...stateFields,
  // Checked on its own (`applyChanges`), as `inventory`.
  apps: z.unknown().optional(),
});
