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
 * and that way a change takes about half the bytes.
 */
export class InventoryEncoder {
  /** Each app as the file holds it, with its timeline as written (a copy: the fold's array may grow). */
  private written = new Map<string, Written>();

  /** `{"apps":{...}}`, every app with its whole timeline. Remembered as written once `commit` is called. */
  all(inventory: Inventory): EncodedApps {
    const text = new Chunks('{"apps":{');
    const written = new Map<string, Written>();
    for (const [key, app] of inventory) {
      text.add(`${written.size > 0 ? ',' : ''}${appText(key, app, undefined)}`);
      written.set(key, { app, timeline: app.timeline.slice() });
    }
    text.add('}}');
    return { pieces: text.end(), commit: () => (this.written = written) };
  }

  /**
   * `{"<key>":{<fields changed>,"timeline_dropped":N,"timeline":[<appended>]},...}`: the apps that
   * changed since the inventory last written (each whole when it is new, or lost a field). `undefined` when an app written is not in `inventory` (another
   * inventory, one rebuilt): only `all` can write that.
   */
  changes(inventory: Inventory): EncodedApps | undefined {
    const text = new Chunks('{');
    const changed: Array<[string, Written]> = [];
    let known = 0;
    for (const [key, app] of inventory) {
      const before = this.written.get(key);
      if (before !== undefined) known++;
      if (before?.app === app) continue;
      text.add(`${changed.length > 0 ? ',' : ''}${appText(key, app, before)}`);
      changed.push([key, { app, timeline: app.timeline.slice() }]);
    }
    if (known < this.written.size) return undefined;
    text.add('}');
    return {
      pieces: text.end(),
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
function appText(key: string, app: AppState, before: Written | undefined): string {
  const timeline = app.timeline;
  const patch = before !== undefined && keepsFields(before.app, app);
  const dropped = patch ? droppedFrom(before.timeline, timeline) : 0;
  const kept = patch ? before.timeline.length - dropped : 0;
  const newest = timeline[timeline.length - 1];
  let text = `${quote(key)}:{${patch ? changedFields(before.app, app) : appFields(app)}`;
  if (app.last_change !== newest) text += `"last_change":${changeText(app.last_change)},`;
  if (app.channel_id !== undefined && (!patch || app.channel_id !== before.app.channel_id)) text += `"channel_id":${quote(app.channel_id)},`;
  if (patch) text += `"timeline_dropped":${dropped},`;
  text += '"timeline":[';
  for (let i = kept; i < timeline.length; i++) text += (i > kept ? ',' : '') + changeText(timeline[i]!);
  return `${text}]}`;
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
 * Text written into buffers as it comes: joining it into one string first would copy it once more
 * (an inventory of 10,000 apps is megabytes, a backfill's save lines tens of them).
 */
class Chunks {
  private bytes: Buffer;
  private at: number;
  private readonly pieces: Uint8Array[] = [];

  constructor(start: string) {
    this.bytes = Buffer.allocUnsafeSlow(CHUNK);
    this.at = this.bytes.write(start);
  }

  add(text: string): void {
    // At most 3 bytes of UTF-8 per UTF-16 unit.
    if (this.at + 3 * text.length > this.bytes.length) {
      this.pieces.push(this.bytes.subarray(0, this.at));
      this.bytes = Buffer.allocUnsafeSlow(Math.max(CHUNK, 3 * text.length));
      this.at = 0;
    }
    this.at += this.bytes.write(text, this.at);
  }

  end(): Uint8Array[] {
    this.pieces.push(this.bytes.subarray(0, this.at));
    return this.pieces;
  }
}
const CHUNK = 64 * 1024;

/** `JSON.stringify` of a string; the few values an inventory repeats (ids, names, scopes) encoded once. */
function quote(value: string): string {
  let text = quoted.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    if (quoted.size < QUOTED_VALUES && value.length <= QUOTED_LENGTH) quoted.set(value, text);
  }
  return text;
}
const QUOTED_VALUES = 10_000;
const QUOTED_LENGTH = 200;
const quoted = new Map<string, string>();

/** As `JSON.stringify` writes a number. */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** `JSON.stringify` of a list of scopes; once per array, since states and changes share theirs (the fold's). */
function strings(values: readonly string[]): string {
  let text = listed.get(values);
  if (text === undefined) {
    text = '[';
    for (let i = 0; i < values.length; i++) text += (i > 0 ? ',' : '') + quote(values[i]!);
    text += ']';
    listed.set(values, text);
  }
  return text;
}
const listed = new WeakMap<readonly string[], string>();

/** The app's fields before `last_change`, in the file's order, each followed by a comma. */
function appFields(app: AppState): string {
  let text = '';
  if (app.app_id !== undefined) text += `"app_id":${quote(app.app_id)},`;
  if (app.service_id !== undefined) text += `"service_id":${quote(app.service_id)},`;
  if (app.app_type !== undefined) text += `"app_type":${quote(app.app_type)},`;
  if (app.service_type !== undefined) text += `"service_type":${quote(app.service_type)},`;
  text += `"status":${quote(app.status)},"scopes":${strings(app.scopes)},`;
  if (app.added_by !== undefined) text += `"added_by":${person(app.added_by)},`;
  if (app.added_at !== undefined) text += `"added_at":${number(app.added_at)},`;
  return text;
}

/** Of those, the ones not as in `before` (which `app` has them all of). */
function changedFields(before: AppState, app: AppState): string {
  let text = '';
  if (app.app_id !== before.app_id) text += `"app_id":${quote(app.app_id!)},`;
  if (app.service_id !== before.service_id) text += `"service_id":${quote(app.service_id!)},`;
  if (app.app_type !== before.app_type) text += `"app_type":${quote(app.app_type!)},`;
  if (app.service_type !== before.service_type) text += `"service_type":${quote(app.service_type!)},`;
  if (app.status !== before.status) text += `"status":${quote(app.status)},`;
  if (app.scopes !== before.scopes) text += `"scopes":${strings(app.scopes)},`;
  if (app.added_by !== before.added_by) text += `"added_by":${person(app.added_by!)},`;
  if (app.added_at !== before.added_at) text += `"added_at":${number(app.added_at!)},`;
  return text;
}

function person({ id, name }: { id?: string; name?: string }): string {
  if (id !== undefined && name !== undefined) return `{"id":${quote(id)},"name":${quote(name)}}`;
  if (id !== undefined) return `{"id":${quote(id)}}`;
  return name !== undefined ? `{"name":${quote(name)}}` : '{}';
}

/** `[change_type, at, user_id, user_name, reason, scopes_added, scopes_removed]`, without the nulls at its end. */
function changeText(change: AppChange): string {
  const { user_id: id, user_name: name, reason, scopes_added: added, scopes_removed: removed } = change;
  // How many fields after `at` are written: up to the last one it has.
  const more = removed !== undefined ? 5 : added !== undefined ? 4 : reason !== undefined ? 3 : name !== undefined ? 2 : id !== undefined ? 1 : 0;
  let text = `[${quote(change.change_type)},${number(change.at)}`;
  if (more > 0) text += id !== undefined ? `,${quote(id)}` : ',null';
  if (more > 1) text += name !== undefined ? `,${quote(name)}` : ',null';
  if (more > 2) text += reason !== undefined ? `,${quote(reason)}` : ',null';
  if (more > 3) text += added !== undefined ? `,${strings(added)}` : ',null';
  if (more > 4) text += `,${strings(removed!)}`;
  return `${text}]`;
}
