import type { HrTime } from '@opentelemetry/api';
import { SeverityNumber, type LogAttributes, type LogRecord } from '@opentelemetry/api-logs';
import { sha256Hex } from '../entry/fingerprint.js';
import type { NormalizedEntry } from '../entry/normalize.js';
import type { TimestampPolicy } from '../core/types.js';
import { splitScopes } from '../inventory/fold.js';
import { sensitiveScopesOf } from '../inventory/sensitive-scopes.js';

/**
 * Slack entry -> OpenTelemetry LogRecord. Pure. The names are a contract (see docs/mapping.md).
 *
 * Field meanings: https://api.slack.com/methods/team.integrationLogs. Attribute names: Slack's own
 * field names under `slack.integration.`, and semconv `user.id`, `user.name`, `log.record.uid`.
 */

/** LogRecord `eventName` of every record. */
export const EVENT_NAME = 'slack.integration.change';
export const ATTR_PREFIX = 'slack.integration.';
/** `added`, `expanded`, `updated`: the scopes the entry granted that the app did not hold just before (may be empty). */
export const ATTR_SCOPES_ADDED = 'slack.integration.scopes.added';
/** `removed`: the scopes the app held until then. */
export const ATTR_SCOPES_REMOVED = 'slack.integration.scopes.removed';
/** The entry's scopes on the sensitive list (`inventory/sensitive-scopes.ts`). */
export const ATTR_SCOPES_SENSITIVE = 'slack.integration.scopes.sensitive';

/** Slack fields with a mapping of their own; every other field becomes `slack.integration.<field>`. */
const RENAMED: ReadonlyMap<string, string> = new Map([
  ['user_id', 'user.id'],
  ['user_name', 'user.name'],
  ['channel', 'slack.integration.channel_id'],
  ['scope', 'slack.integration.scopes'],
]);

/** Attribute names by field, built once per field name (bounded: field names come from Slack). */
const attributeNames = new Map<string, string>(RENAMED);

function attributeName(field: string): string {
  let name = attributeNames.get(field);
  if (name === undefined) {
    name = ATTR_PREFIX + field;
    if (attributeNames.size < 1_000) attributeNames.set(field, name);
  }
  return name;
}

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
  /** 0-based occurrence of this exact content within its second (see `sync/delivery-filter.ts`). */
  occurrence: number;
  /** When the entry was fetched, milliseconds since the epoch. */
  observedAtMs: number;
  timestampPolicy: TimestampPolicy;
  /** The Enterprise Grid team the entry came from, when teams are configured (part of the uid). */
  teamId?: string;
  /**
   * For an entry without a usable date, Unix seconds: the date of the entry next to it in the log.
   * Its record takes that time rather than the fetch time, so its stream stays in time order
   * (Loki refuses entries more than an hour behind their stream).
   */
  neighbourDate?: number;
  /** From the inventory as of the entry (`FoldEffect`; a dead letter keeps it for its replay); absent when it was not folded. */
  scopesAdded?: readonly string[];
  scopesRemoved?: readonly string[];
}

/**
 * `log.record.uid`: 32 hex chars of SHA-256 over the entry's fingerprint and occurrence, and its
 * team when teams are configured. The same entry gets the same uid in every run and process;
 * identical entries in one second, or of two teams, get different ones. Receivers may drop
 * records that share a uid, which makes re-sends after a crash idempotent. Without a team the
 * input is what it always was, so an upgrade re-sends nothing under a new uid.
 */
export function recordUid(fingerprint: string, occurrence: number, teamId?: string): string {
  return sha256Hex(teamId ? `${teamId}:${fingerprint}:${occurrence}` : `${fingerprint}:${occurrence}`).slice(0, 32);
}

/**
 * Milliseconds as `[seconds, nanoseconds]`. The SDK reads a plain number as milliseconds, except
 * a small one (below about half the process start time), which it reads as time since the
 * process started: Slack dates before about 1998 would come out wrong.
 */
function hrTimeOfMillis(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** Slack's `scope` text as a list, the sensitive scopes on it, and the list as the body writes it. */
interface ScopeList {
  /** Frozen: shared by every record of the same `scope` text (the SDK copies attribute arrays). */
  scopes: readonly string[];
  sensitive: readonly string[];
  /** `a, b`. */
  listed: string;
}

/**
 * Lists by `scope` text, built once per text: entries repeat the grants of their app. Bounded, as
 * the texts come from Slack.
 */
const scopeLists = new Map<string, ScopeList>();

function scopeListOf(text: string): ScopeList {
  let list = scopeLists.get(text);
  if (list === undefined) {
    const scopes = Object.freeze(splitScopes(text));
    list = { scopes, sensitive: Object.freeze(sensitiveScopesOf(scopes)), listed: scopes.join(', ') };
    if (scopeLists.size < 1_000) scopeLists.set(text, list);
  }
  return list;
}

export function toLogRecord(entry: NormalizedEntry, ctx: MappingContext): LogRecord {
  const attributes = new RecordAttributes() as LogAttributes;
  const { fields } = entry;
  // Split once: the attribute and the body both list them.
  const scopeList = typeof fields.scope === 'string' ? scopeListOf(fields.scope) : undefined;
  const scopes = scopeList && scopeList.scopes.length > 0 ? (scopeList.scopes as string[]) : undefined;
  for (const field of Object.keys(fields)) {
    if (field === 'date') continue;
    const mapped = field === 'scope' && scopeList ? scopes : mapValue(field, fields[field]);
    if (mapped !== undefined) {
      attributes[attributeName(field)] = mapped;
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
  // As they are: the SDK copies attribute arrays when it builds the record.
  if (ctx.scopesAdded) attributes[ATTR_SCOPES_ADDED] = ctx.scopesAdded as string[];
  if (ctx.scopesRemoved) attributes[ATTR_SCOPES_REMOVED] = ctx.scopesRemoved as string[];
  if (scopes) attributes[ATTR_SCOPES_SENSITIVE] = scopeList!.sensitive as string[];
  attributes['log.record.uid'] = recordUid(entry.fingerprint, ctx.occurrence, ctx.teamId);

  const changeType = typeof entry.fields.change_type === 'string' ? entry.fields.change_type : undefined;
  const severityNumber = (changeType && SEVERITY_BY_CHANGE_TYPE[changeType]) || SeverityNumber.INFO;
  const entryTime = ctx.timestampPolicy === 'entry' ? (entry.date ?? ctx.neighbourDate) : undefined;
  return new MappedRecord(
    // Slack's date is whole seconds: timeUnixNano = date × 1e9 exactly.
    entryTime !== undefined ? [entryTime, 0] : hrTimeOfMillis(ctx.observedAtMs),
    hrTimeOfMillis(ctx.observedAtMs),
    severityNumber,
    severityNumber === SeverityNumber.WARN ? 'WARN' : 'INFO',
    summarize(fields, scopeList?.listed),
    attributes,
  );
}

/**
 * A record and its attributes are class instances, not object literals: V8 may decide from one
 * collection's survivors to allocate every later object of a literal in the old generation
 * (docs/performance.md, "Heap").
 */
class RecordAttributes {}

class MappedRecord implements LogRecord {
  readonly eventName = EVENT_NAME;
  constructor(
    readonly timestamp: HrTime,
    readonly observedTimestamp: HrTime,
    readonly severityNumber: SeverityNumber,
    readonly severityText: string,
    readonly body: string,
    readonly attributes: LogAttributes,
  ) {}
}

function mapValue(field: string, value: unknown): LogAttributes[string] | undefined {
  if (value === null || value === undefined) return undefined;
  // A `scope` text is listed by the caller; anything else there travels as text.
  if (field === 'scope') return stringify(value);
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

/** A field as words: a non-empty string, or a number; else `undefined`. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  return typeof value === 'number' ? String(value) : undefined;
}

/** `a b`, leaving out an empty or missing `b`. */
function spaced(a: string, b: string | undefined): string {
  return b ? `${a} ${b}` : a;
}

const LINE_BREAKS = /[\r\n]+/g;

/**
 * One line for people: who, which change, which app or service, where, which scopes, why.
 * e.g. `Billy added app "Johnny App" (app_id 2345678901) with scopes chat:write:user, channels:read`.
 * @param listedScopes `fields.scope` already listed as `a, b`, when the caller has it.
 */
export function summarize(fields: Record<string, unknown>, listedScopes?: string): string {
  const appId = textOf(fields.app_id);
  const appType = textOf(fields.app_type);
  const serviceId = textOf(fields.service_id);
  const serviceType = textOf(fields.service_type);
  let what: string;
  if (appId || appType) {
    what = spaced(spaced('app', appType && `"${appType}"`), appId && `(app_id ${appId})`);
  } else if (serviceId || serviceType) {
    what = spaced(serviceType ? `"${serviceType}"` : 'integration', serviceId && `(service_id ${serviceId})`);
  } else {
    what = 'an integration';
  }
  const feedTitle = textOf(fields.rss_feed_title);
  const feedUrl = textOf(fields.rss_feed_url);
  const standalone = what === 'an integration';
  const feed =
    fields.rss_feed === true || feedTitle || feedUrl
      ? spaced(spaced(standalone ? 'RSS feed' : 'feed', feedTitle && `"${feedTitle}"`), feedUrl)
      : undefined;

  let line = `${textOf(fields.user_name) ?? textOf(fields.user_id) ?? 'someone'} ${textOf(fields.change_type) ?? 'changed'} `;
  line += standalone && feed ? feed : spaced(what, feed);
  const channel = textOf(fields.channel);
  if (channel) line += ` in channel ${channel}`;
  const scope = textOf(fields.scope);
  const scopeList = scope === undefined ? '' : (listedScopes ?? splitScopes(scope).join(', '));
  if (scopeList) line += ` with scopes ${scopeList}`;
  const reason = textOf(fields.reason);
  if (reason) line += ` (reason: ${reason})`;
  return line.includes('\n') || line.includes('\r') ? line.replace(LINE_BREAKS, ' ') : line;
}
