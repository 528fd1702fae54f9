import type { AppChange, AppState, Inventory } from '../inventory/fold.js';

/**
 * The cursor file's inventory as bytes, for one cursor file's successive saves (docs/cursor.md).
 *
 * A backfill saves after every batch, and a batch changes a few apps while the file holds them
 * all. So the file is a journal: a save appends only the apps that changed since the save before
 * (`changes`), each as a patch: the fields that changed, the number of its oldest timeline changes
 * it drops and the changes it appends (a timeline only drops its oldest changes and appends). Now
 * and then the whole inventory is written again (`all`), and the file starts over from it.
 *
 * An app's fields are written in the order docs/cursor.md gives (ids and types, status, scopes,
 * added by (`id`, `name`) and at, last change, channel, timeline), each as `JSON.stringify` writes
 * it, but `last_change` is left out when it is the timeline's newest change, and a change is a
 * list: `[change_type, at, user_id, user_name, reason, scopes_added, scopes_removed]`, `null` for a
 * field it has not, and without the nulls at its end. A backfill writes every change it folds,
 * and that way a change takes about 60% of the bytes.
 */
export class InventoryEncoder {
  /** Each app as the file holds it, with its timeline as written (a copy: the fold's array may grow). */
  private written = new Map<string, Written>();

  /** `{"apps":{...}}`, every app with its whole timeline. Remembered as written once `commit` is called. */
  all(inventory: Inventory): EncodedApps {
    const out = new Bytes('{"apps":{');
    const written = new Map<string, Written>();
    for (const [key, app] of inventory) {
      if (written.size > 0) out.byte(COMMA);
      writeApp(out, key, app, undefined);
      written.set(key, { app, timeline: app.timeline.slice() });
    }
    out.text('}}');
    return { pieces: out.end(), commit: () => (this.written = written) };
  }

  /**
   * `{"<key>":{<fields changed>,"timeline_dropped":N,"timeline":[<appended>]},...}`: the apps that
   * changed since the inventory last written (each whole when it is new, or lost a field).
   * `undefined` when an app written is not in `inventory` (another inventory, one rebuilt): only
   * `all` can write that.
   */
  changes(inventory: Inventory): EncodedApps | undefined {
    const out = new Bytes('{');
    const changed: Array<[string, Written]> = [];
    let known = 0;
    for (const [key, app] of inventory) {
      const before = this.written.get(key);
      if (before !== undefined) known++;
      if (before?.app === app) continue;
      if (changed.length > 0) out.byte(COMMA);
      writeApp(out, key, app, before);
      changed.push([key, { app, timeline: app.timeline.slice() }]);
    }
    if (known < this.written.size) return undefined;
    out.byte(CLOSE);
    return {
      pieces: out.end(),
      commit: () => {
        for (const [key, entry] of changed) this.written.set(key, entry);
      },
    };
  }
}

/** An encoded inventory, or its changes: `commit` once it is on disk. */
export interface EncodedApps {
  pieces: Uint8Array[];
  commit(): void;
}

interface Written {
  app: AppState;
  timeline: readonly AppChange[];
}

/**
 * How many of the oldest changes of `before` the timeline `after` drops, when `after` is
 * `before` with its oldest changes dropped and new ones appended (the same change objects); else
 * all of them (the timeline is written whole).
 */
function droppedFrom(before: readonly AppChange[], after: readonly AppChange[]): number {
  const from = after.length > 0 ? before.indexOf(after[0]!) : -1;
  if (from < 0 || before.length - from > after.length) return before.length;
  for (let i = from; i < before.length; i++) if (before[i] !== after[i - from]) return before.length;
  return from;
}

/**
 * `"<key>":{<fields>,"timeline":[<changes>]}`: the app whole, or when `before` is how the file has
 * it, a patch: the fields that are not as they were, `"timeline_dropped"`, the number of the oldest
 * changes the file has that the timeline no longer has, then the changes after those.
 */
function writeApp(out: Bytes, key: string, app: AppState, before: Written | undefined): void {
  const timeline = app.timeline;
  const patch = before !== undefined && keepsFields(before.app, app);
  const was: Partial<AppState> = patch ? before.app : {};
  out.bytes(quoted(key));
  out.byte(COLON);
  out.byte(OPEN);
  if (app.app_id !== was.app_id) out.field(APP_ID, quoted(app.app_id!));
  if (app.service_id !== was.service_id) out.field(SERVICE_ID, quoted(app.service_id!));
  if (app.app_type !== was.app_type) out.field(APP_TYPE, quoted(app.app_type!));
  if (app.service_type !== was.service_type) out.field(SERVICE_TYPE, quoted(app.service_type!));
  if (app.status !== was.status) out.field(STATUS, quoted(app.status));
  if (app.scopes !== was.scopes) out.field(SCOPES, listed(app.scopes));
  if (app.added_by !== was.added_by) {
    out.bytes(ADDED_BY);
    writePerson(out, app.added_by!);
    out.byte(COMMA);
  }
  if (app.added_at !== was.added_at) {
    out.bytes(ADDED_AT);
    out.number(app.added_at!);
    out.byte(COMMA);
  }
  if (app.last_change !== timeline[timeline.length - 1]) {
    out.bytes(LAST_CHANGE);
    writeChange(out, app.last_change);
    out.byte(COMMA);
  }
  if (app.channel_id !== was.channel_id) out.field(CHANNEL_ID, quoted(app.channel_id!));
  let kept = 0;
  if (patch) {
    const dropped = droppedFrom(before.timeline, timeline);
    kept = before.timeline.length - dropped;
    out.bytes(TIMELINE_DROPPED);
    out.number(dropped);
    out.byte(COMMA);
  }
  out.bytes(TIMELINE);
  for (let i = kept; i < timeline.length; i++) {
    if (i > kept) out.byte(COMMA);
    writeChange(out, timeline[i]!);
  }
  out.byte(LIST_END);
  out.byte(CLOSE);
}

/** `[change_type, at, user_id, user_name, reason, scopes_added, scopes_removed]`, without the nulls at its end. */
function writeChange(out: Bytes, change: AppChange): void {
  const { user_id: id, user_name: name, reason, scopes_added: added, scopes_removed: removed } = change;
  // How many fields after `at` are written: up to the last one it has.
  const more =
    removed !== undefined ? 5 : added !== undefined ? 4 : reason !== undefined ? 3 : name !== undefined ? 2 : id !== undefined ? 1 : 0;
  out.byte(LIST);
  out.bytes(quoted(change.change_type));
  out.byte(COMMA);
  out.number(change.at);
  if (more > 0) out.item(id !== undefined ? quoted(id) : NULL);
  if (more > 1) out.item(name !== undefined ? quoted(name) : NULL);
  if (more > 2) out.item(reason !== undefined ? quoted(reason) : NULL);
  if (more > 3) out.item(added !== undefined ? listed(added) : NULL);
  if (more > 4) out.item(listed(removed!));
  out.byte(LIST_END);
}

/** Whether `app` has every field `before` has: a patch only adds and replaces. */
function keepsFields(before: AppState, app: AppState): boolean {
  return (
    (before.app_id === undefined || app.app_id !== undefined) &&
    (before.service_id === undefined || app.service_id !== undefined) &&
    (before.app_type === undefined || app.app_type !== undefined) &&
    (before.service_type === undefined || app.service_type !== undefined) &&
    (before.added_by === undefined || app.added_by !== undefined) &&
    (before.added_at === undefined || app.added_at !== undefined) &&
    (before.channel_id === undefined || app.channel_id !== undefined)
  );
}

/**
 * JSON written as bytes, into buffers of `CHUNK` bytes: a backfill's save lines are tens of
 * megabytes, and strings joined first would be copied once more (and flattened, a piece at a time).
 */
class Bytes {
  private buffer: Buffer = Buffer.allocUnsafeSlow(CHUNK);
  private at = 0;
  private readonly pieces: Uint8Array[] = [];

  constructor(start: string) {
    this.text(start);
  }

  byte(value: number): void {
    if (this.at === this.buffer.length) this.next(1);
    this.buffer[this.at++] = value;
  }

  bytes(value: Uint8Array): void {
    const length = value.length;
    if (this.at + length > this.buffer.length) this.next(length);
    // Most values are a few bytes: a loop copies those faster than `set`, a call into the runtime.
    if (length > 32) this.buffer.set(value, this.at);
    else for (let i = 0; i < length; i++) this.buffer[this.at + i] = value[i]!;
    this.at += length;
  }

  text(value: string): void {
    this.bytes(Buffer.from(value));
  }

  /** `"name":value,` (`name` with its quotes and colon). */
  field(name: Uint8Array, value: Uint8Array): void {
    this.bytes(name);
    this.bytes(value);
    this.byte(COMMA);
  }

  /** `,value`. */
  item(value: Uint8Array): void {
    this.byte(COMMA);
    this.bytes(value);
  }

  /** As `JSON.stringify` writes a number. */
  number(value: number): void {
    // Dates in Unix seconds are below 2^31 until 2038: digits by integer arithmetic.
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
      this.text(Number.isFinite(value) ? String(value) : 'null');
      return;
    }
    let digits = 1;
    for (let rest = value; rest >= 10; rest = (rest / 10) | 0) digits++;
    if (this.at + digits > this.buffer.length) this.next(digits);
    let rest = value;
    for (let i = this.at + digits - 1; i >= this.at; i--) {
      const next = (rest / 10) | 0;
      this.buffer[i] = 48 + rest - next * 10;
      rest = next;
    }
    this.at += digits;
  }

  end(): Uint8Array[] {
    this.pieces.push(this.buffer.subarray(0, this.at));
    return this.pieces;
  }

  private next(size: number): void {
    this.pieces.push(this.buffer.subarray(0, this.at));
    this.buffer = Buffer.allocUnsafeSlow(Math.max(CHUNK, size));
    this.at = 0;
  }
}
const CHUNK = 64 * 1024;

const [COMMA, COLON, OPEN, CLOSE, LIST, LIST_END] = [',', ':', '{', '}', '[', ']'].map((c) => c.charCodeAt(0)) as [
  number,
  number,
  number,
  number,
  number,
  number,
];
const NULL = Buffer.from('null');
const [APP_ID, SERVICE_ID, APP_TYPE, SERVICE_TYPE, STATUS, SCOPES, ADDED_BY, ADDED_AT, LAST_CHANGE, CHANNEL_ID, TIMELINE_DROPPED] = [
  'app_id',
  'service_id',
  'app_type',
  'service_type',
  'status',
  'scopes',
  'added_by',
  'added_at',
  'last_change',
  'channel_id',
  'timeline_dropped',
].map((name) => Buffer.from(`"${name}":`)) as Buffer[] as [
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
  Buffer,
];
const TIMELINE = Buffer.from('"timeline":[');

/** `JSON.stringify` of a string, as bytes; the few values an inventory repeats (ids, names, scopes) encoded once. */
function quoted(value: string): Uint8Array {
  let bytes = quotes.get(value);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(value));
    if (quotes.size < QUOTED_VALUES && value.length <= QUOTED_LENGTH) quotes.set(value, bytes);
  }
  return bytes;
}
const QUOTED_VALUES = 10_000;
const QUOTED_LENGTH = 200;
const quotes = new Map<string, Uint8Array>();

/** `JSON.stringify` of a list of scopes, as bytes; once per array, since states and changes share theirs (the fold's). */
function listed(values: readonly string[]): Uint8Array {
  let bytes = lists.get(values);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(values));
    lists.set(values, bytes);
  }
  return bytes;
}
const lists = new WeakMap<readonly string[], Uint8Array>();

/** `added_by`: `{"id":...,"name":...}`, either left out when it has not. */
function writePerson(out: Bytes, { id, name }: { id?: string; name?: string }): void {
  out.byte(OPEN);
  if (id !== undefined) {
    out.bytes(ID);
    out.bytes(quoted(id));
  }
  if (name !== undefined) {
    if (id !== undefined) out.byte(COMMA);
    out.bytes(NAME);
    out.bytes(quoted(name));
  }
  out.byte(CLOSE);
}
const ID = Buffer.from('"id":');
const NAME = Buffer.from('"name":');
