import { SeverityNumber, type LogAttributes, type LogRecord } from '@opentelemetry/api-logs';
import { sha256Hex } from '../entry/fingerprint.js';
import type { AppState } from '../inventory/fold.js';
import { sensitiveScopesOf } from '../inventory/sensitive-scopes.js';
import { ATTR_PREFIX, ATTR_SCOPES_SENSITIVE } from './mapping.js';

/**
 * An app of the inventory -> one snapshot LogRecord (docs/inventory.md, "Snapshots"). Pure. The
 * names are a contract (docs/mapping.md): Slack's field names under `slack.integration.`,
 * semconv `user.id` / `user.name` for who added the app.
 */

/** LogRecord `eventName` of a snapshot record. */
export const INVENTORY_EVENT_NAME = 'slack.integration.inventory';
export const ATTR_STATUS = 'slack.integration.status';
/** Unix seconds, as `slack.integration.date` is. */
export const ATTR_ADDED_AT = 'slack.integration.added_at';
/** The last change: `.change_type`, `.user_id`, `.user_name`, `.date` (Unix seconds), `.reason`. */
export const ATTR_LAST_CHANGE_PREFIX = 'slack.integration.last_change.';

export interface SnapshotContext {
  /** The snapshot's time, milliseconds since the epoch: every record of one snapshot has it. */
  timeMs: number;
  /** The Enterprise Grid team, when teams are configured (part of the uid). */
  teamId?: string;
}

const hrTime = (ms: number): [number, number] => [Math.floor(ms / 1000), (ms % 1000) * 1e6];

export function toInventoryRecord(app: AppState, ctx: SnapshotContext): LogRecord {
  const attributes: LogAttributes = {};
  for (const field of ['app_id', 'app_type', 'service_id', 'service_type', 'channel_id'] as const) {
    const value = app[field];
    if (value) attributes[ATTR_PREFIX + field] = value;
  }
  attributes[ATTR_STATUS] = app.status;
  attributes[`${ATTR_PREFIX}scopes`] = [...app.scopes];
  attributes[ATTR_SCOPES_SENSITIVE] = sensitiveScopesOf(app.scopes);
  if (app.added_by?.id) attributes['user.id'] = app.added_by.id;
  if (app.added_by?.name) attributes['user.name'] = app.added_by.name;
  if (app.added_at !== undefined) attributes[ATTR_ADDED_AT] = app.added_at;
  const last = app.last_change;
  attributes[`${ATTR_LAST_CHANGE_PREFIX}change_type`] = last.change_type;
  if (last.user_id) attributes[`${ATTR_LAST_CHANGE_PREFIX}user_id`] = last.user_id;
  if (last.user_name) attributes[`${ATTR_LAST_CHANGE_PREFIX}user_name`] = last.user_name;
  attributes[`${ATTR_LAST_CHANGE_PREFIX}date`] = last.at;
  if (last.reason) attributes[`${ATTR_LAST_CHANGE_PREFIX}reason`] = last.reason;
  // One uid per app and snapshot: a snapshot sent twice is one in the backend.
  const key = app.app_id ? `app:${app.app_id}` : `service:${app.service_id ?? ''}:${app.service_type ?? ''}`;
  attributes['log.record.uid'] = sha256Hex(`inventory:${ctx.teamId ?? ''}:${key}:${ctx.timeMs}`).slice(0, 32);

  const name = app.app_type ?? app.service_type;
  const what = app.app_id
    ? `app${name ? ` "${name}"` : ''} (app_id ${app.app_id})`
    : `${name ? `"${name}"` : 'integration'} (service_id ${app.service_id ?? '?'})`;
  const sensitive = attributes[ATTR_SCOPES_SENSITIVE] as string[];
  return {
    eventName: INVENTORY_EVENT_NAME,
    timestamp: hrTime(ctx.timeMs),
    observedTimestamp: hrTime(ctx.timeMs),
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body:
      `${what} is ${app.status}` +
      (app.scopes.length > 0 ? ` with scopes ${app.scopes.join(', ')}` : '') +
      (sensitive.length > 0 ? ` (sensitive: ${sensitive.join(', ')})` : ''),
    attributes,
  };
}
