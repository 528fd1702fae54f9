import { SeverityNumber, type LogAttributes, type LogRecord } from '@opentelemetry/api-logs';
import { sha256Hex, type NormalizedEntry } from '../entry/normalize.js';
import type { TimestampPolicy } from '../types.js';

/**
 * Slack entry -> OpenTelemetry LogRecord. Pure. The names are a contract (see README, "Record mapping").
 *
 * Field meanings: https://api.slack.com/methods/team.integrationLogs. Attribute names: Slack's own
 * field names under `slack.integration.`, and semconv `user.id`, `user.name`, `log.record.uid`.
 */

/** LogRecord `eventName` of every record. */
export const EVENT_NAME = 'slack.integration.change';
export const ATTR_PREFIX = 'slack.integration.';

/** Slack fields with a mapping of their own; every other field becomes `slack.integration.<field>`. */
const RENAMED: Readonly<Record<string, string>> = {
  user_id: 'user.id',
  user_name: 'user.name',
  channel: 'slack.integration.channel_id',
  scope: 'slack.integration.scopes',
};

/**
 * Severity by `change_type`: losing a permission or an app is worth a look (WARN), as is a grant
 * of more scopes; everything else, unknown values included, is INFO.
 */
export const SEVERITY_BY_CHANGE_TYPE: Readonly<Record<string, SeverityNumber>> = {
  added: SeverityNumber.INFO,
  enabled: SeverityNumber.INFO,
  updated: SeverityNumber.INFO,
  expanded: SeverityNumber.WARN,
  removed: SeverityNumber.WARN,
  disabled: SeverityNumber.WARN,
};

export interface MappingContext {
  /** 0-based occurrence of this exact content within its second (see `sync/boundary.ts`). */
  occurrence: number;
  /** When the entry was fetched, milliseconds since the epoch. */
  observedAtMs: number;
  timestampPolicy: TimestampPolicy;
  /** Extra attributes for every record (e.g. `slack.team.id`). */
  extraAttributes?: LogAttributes;
}

/**
 * `log.record.uid`: 32 hex chars of SHA-256 over the entry's fingerprint and occurrence. The same
 * entry gets the same uid in every run and process; identical entries in one second get different
 * ones. Receivers may drop records that share a uid, which makes re-sends after a crash idempotent.
 */
export function recordUid(fingerprint: string, occurrence: number): string {
  return sha256Hex(`${fingerprint}:${occurrence}`).slice(0, 32);
}

export function toLogRecord(entry: NormalizedEntry, ctx: MappingContext): LogRecord {
  const attributes: LogAttributes = { ...ctx.extraAttributes };
  for (const [field, value] of Object.entries(entry.fields)) {
    if (field === 'date') continue;
    const mapped = mapValue(field, value);
    if (mapped !== undefined) {
      attributes[RENAMED[field] ?? ATTR_PREFIX + field] = mapped;
    }
  }
  if (entry.date === undefined) {
    // Kept as Slack sent it, so the entry can be found and the problem reported upstream.
    if ('date' in entry.fields) {
      attributes[`${ATTR_PREFIX}date`] = stringify(entry.fields.date);
    }
  } else if (ctx.timestampPolicy === 'observed') {
    attributes[`${ATTR_PREFIX}date`] = entry.date;
  }
  attributes['log.record.uid'] = recordUid(entry.fingerprint, ctx.occurrence);

  const changeType = typeof entry.fields.change_type === 'string' ? entry.fields.change_type : undefined;
  const severityNumber = (changeType && SEVERITY_BY_CHANGE_TYPE[changeType]) || SeverityNumber.INFO;
  const useEntryTime = ctx.timestampPolicy === 'entry' && entry.date !== undefined;
  return {
    eventName: EVENT_NAME,
    // A number is read as milliseconds by the SDK; Slack's date is seconds.
    timestamp: useEntryTime ? entry.date! * 1000 : ctx.observedAtMs,
    observedTimestamp: ctx.observedAtMs,
    severityNumber,
    severityText: severityNumber === SeverityNumber.WARN ? 'WARN' : 'INFO',
    body: summarize(entry.fields),
    attributes,
  };
}

function mapValue(field: string, value: unknown): LogAttributes[string] | undefined {
  if (value === null || value === undefined) return undefined;
  if (field === 'scope') {
    if (typeof value !== 'string') return stringify(value);
    const scopes = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    return scopes.length > 0 ? scopes : undefined;
  }
  if (field === 'rss_feed') {
    return value === true || value === 'true' || value === 1;
  }
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  // Nested values travel as JSON text: every backend can store it, none rejects it.
  return stringify(value);
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

/**
 * One line for people: who, which change, which app or service, where, which scopes, why.
 * e.g. `Billy added app "Johnny App" (app_id 2345678901) with scopes chat:write:user, channels:read`.
 */
export function summarize(fields: Record<string, unknown>): string {
  const text = (key: string): string | undefined => {
    const v = fields[key];
    return typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;
  };
  const quoted = (key: string) => (text(key) ? `"${text(key)}"` : undefined);
  const id = (key: string) => (text(key) ? `(${key} ${text(key)})` : undefined);
  const words = (...xs: Array<string | undefined>) => xs.filter(Boolean).join(' ');

  let what: string;
  if (text('app_id') || text('app_type')) {
    what = words('app', quoted('app_type'), id('app_id'));
  } else if (text('service_id') || text('service_type')) {
    what = words(quoted('service_type') ?? 'integration', id('service_id'));
  } else {
    what = 'an integration';
  }
  const isRss = fields.rss_feed === true || text('rss_feed_title') || text('rss_feed_url');
  const standalone = what === 'an integration';
  const feed = isRss ? words(standalone ? 'RSS feed' : 'feed', quoted('rss_feed_title'), text('rss_feed_url')) : undefined;
  const scopes = text('scope')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .join(', ');
  const parts = words(
    text('user_name') ?? text('user_id') ?? 'someone',
    text('change_type') ?? 'changed',
    standalone && feed ? feed : words(what, feed),
    text('channel') ? `in channel ${text('channel')}` : undefined,
    scopes ? `with scopes ${scopes}` : undefined,
    text('reason') ? `(reason: ${text('reason')})` : undefined,
  );
  return parts.replace(/[\r\n]+/g, ' ');
}
