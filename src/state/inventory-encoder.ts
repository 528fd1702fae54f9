import type { AppChange, AppState, Inventory } from '../inventory/fold.js';

/**
 * The cursor file's inventory as bytes, for one cursor file's successive saves.
 *
 * A backfill saves after every batch, and a batch changes a few apps while the file holds them
 * all. So a save encodes only what is new: an app that did not change is written from the pieces
 * of the save before; one that did gets a new head, and its timeline keeps the bytes of the
 * changes it still holds (a timeline only drops its oldest changes and appends), as views of the
 * buffers they were first written to. Each change is encoded once, and all new text of a save
 * goes into one buffer. An app's pieces are copied into one buffer of its own when its changes are
 * in more than `MAX_RUNS` runs, and in the first save that finds it unchanged: so an app that no
 * longer changes is one piece, and keeps no save's buffer alive for the other apps' text in it.
 *
 * Every app is written with its fields in the order docs/cursor.md gives (ids and types, status,
 * scopes, added by (`id`, `name`) and at, last change, channel, timeline; a change's as
 * `AppChange` lists them but `at` second): the text is `JSON.stringify` of the app's fields
 * (those `AppState` has) in that order, whatever the order of its objects.
 */
export class InventoryEncoder {
  private readonly apps = new Map<string, EncodedApp>();

  /** `{"apps":{...}}` as pieces. */
  pieces(inventory: Inventory): Uint8Array[] {
    const batch = new TextBatch();
    const encoded: EncodedApp[] = [];
    // Kept only once complete: a save that throws leaves the encoder as the save before left it.
    const changed: Array<[string, EncodedApp]> = [];
    for (const [key, app] of inventory) {
      let entry = this.apps.get(key);
      if (entry?.app !== app) {
        entry = encodeApp(key, app, entry, batch);
        changed.push([key, entry]);
      } else if (!entry.own) {
        collapse(entry);
      }
      encoded.push(entry);
    }
    batch.seal();
    const pieces: Uint8Array[] = [APPS_START];
    for (const entry of encoded) {
      if (entry.text >= 0) assemble(entry, batch);
      for (const piece of entry.pieces) pieces.push(piece);
    }
    for (const [key, entry] of changed) this.apps.set(key, entry);
    // Each app's text starts with the comma that separates it from the app before.
    if (encoded.length > 0) pieces[1] = pieces[1]!.subarray(1);
    pieces.push(APPS_END);
    // Apps another inventory held (one rebuilt): not kept for nothing.
    if (this.apps.size > inventory.size) {
      for (const key of this.apps.keys()) if (!inventory.has(key)) this.apps.delete(key);
    }
    return pieces;
  }
}

/**
 * Timeline changes written together: in `bytes`, change i starts at `starts[i]` with the byte that
 * separates it from the change before (`,`, or the timeline's `[`); from `skip` on, in use.
 */
interface Run {
  bytes: Uint8Array;
  starts: number[];
  skip: number;
}

/** One app as the last save wrote it. */
interface EncodedApp {
  app: AppState;
  /** Its text, `,"<key>":{<fields>,"timeline":[<changes>]}`, in one piece or a few. */
  pieces: Uint8Array[];
  /** Whether `pieces` is one buffer of its own (not views of saves' buffers). */
  own: boolean;
  /** Bytes of the text up to and with the timeline's `[`. */
  headLength: number;
  /** Oldest first: the changes of `app.timeline`, as views of the buffers of `pieces`. */
  runs: Run[];
  /** While this save's text is collected: the index of the app's head in it (its new changes and `]}` follow), else -1. */
  text: number;
  /** How many new changes follow the head there. */
  added: number;
}

/** When an app's timeline is in more runs than this, its pieces are joined into one. */
const MAX_RUNS = 4;
const APPS_START = Buffer.from('{"apps":{');
const APPS_END = Buffer.from('}}');

function encodeApp(key: string, app: AppState, previous: EncodedApp | undefined, batch: TextBatch): EncodedApp {
  const timeline = app.timeline;
  const from = previous ? reusableFrom(previous.app.timeline, timeline) : -1;
  const runs: Run[] = [];
  let kept = 0;
  if (from >= 0) {
    // Drop the `from` oldest changes of the previous runs.
    let drop = from;
    for (const run of previous!.runs) {
      const inUse = run.starts.length - run.skip;
      if (drop >= inUse) {
        drop -= inUse;
        continue;
      }
      runs.push(drop > 0 ? { bytes: run.bytes, starts: run.starts, skip: run.skip + drop } : run);
      kept += inUse - drop;
      drop = 0;
    }
  }
  // The newest change is also the app's `last_change`: encoded once.
  const newest = timeline.length > kept ? changeText(timeline[timeline.length - 1]!) : undefined;
  const last = newest !== undefined && app.last_change === timeline[timeline.length - 1] ? newest : changeText(app.last_change);
  const head = batch.add(`,${quote(key)}:{${appFields(app)}"last_change":${last},${channel(app)}"timeline":[`);
  for (let i = kept; i < timeline.length; i++) {
    const text = i === timeline.length - 1 ? newest! : changeText(timeline[i]!);
    batch.add(i > 0 ? `,${text}` : text);
  }
  batch.add(']}');
  return { app, pieces: [], own: false, headLength: 0, runs, text: head, added: timeline.length - kept };
}

/** Takes the app's head and new changes from the save's buffer. */
function assemble(entry: EncodedApp, batch: TextBatch): void {
  const { bytes, offsets } = batch;
  const { text, added, runs: reused } = entry;
  const headStart = offsets[text]!;
  const headEnd = offsets[text + 1]!;
  const end = offsets[text + added + 2]!;
  entry.headLength = headEnd - headStart;
  entry.text = -1;
  // A timeline written whole: the app in one piece. Else the head, the changes kept from earlier
  // saves (the first without the comma before it), then the new ones and `]}`.
  entry.pieces =
    reused.length === 0
      ? [bytes.subarray(headStart, end)]
      : [
          bytes.subarray(headStart, headEnd),
          ...reused.map((run, i) => run.bytes.subarray(run.starts[run.skip]! + (i === 0 ? 1 : 0))),
          bytes.subarray(headEnd, end),
        ];
  if (added > 0) {
    // The first new change's separator: its comma, or the timeline's `[` when it is the first.
    const base = reused.length === 0 ? headEnd - 1 : headEnd;
    const starts = new Array<number>(added);
    starts[0] = 0;
    for (let i = 1; i < added; i++) starts[i] = offsets[text + 1 + i]! - base;
    entry.runs = [...reused, { bytes: bytes.subarray(base, end - 2), starts, skip: 0 }];
  }
  if (entry.runs.length > MAX_RUNS) collapse(entry);
}

/** Copies the app's pieces into one buffer of its own, its runs into one view of it. */
function collapse(entry: EncodedApp): void {
  // Not from Node's shared pool: a view kept of a pooled buffer keeps its whole block alive.
  const bytes = Buffer.allocUnsafeSlow(entry.pieces.reduce((size, piece) => size + piece.length, 0));
  let size = 0;
  for (const piece of entry.pieces) {
    bytes.set(piece, size);
    size += piece.length;
  }
  // The timeline from its `[`, the first change's separator, to before the closing `]}`.
  const base = entry.headLength - 1;
  const starts: number[] = [];
  let at = entry.headLength;
  entry.runs.forEach((run, i) => {
    // Where the run's piece starts in its buffer (the first without its separator).
    const from = run.starts[run.skip]! + (i === 0 ? 1 : 0);
    for (let j = run.skip; j < run.starts.length; j++) starts.push(at + run.starts[j]! - from - base);
    at += run.bytes.length - from;
  });
  entry.pieces = [bytes];
  entry.own = true;
  entry.runs = starts.length > 0 ? [{ bytes: bytes.subarray(base, bytes.length - 2), starts, skip: 0 }] : [];
}

/**
 * The new text of one save, encoded into one buffer at the end (`seal`): thousands of small
 * buffers per backfill would each be an allocation the garbage collector tracks. After `seal`,
 * text `i` is `bytes` from `offsets[i]` to `offsets[i + 1]`.
 */
class TextBatch {
  private readonly texts: string[] = [];
  bytes: Uint8Array = EMPTY;
  offsets: number[] = [];

  /** @returns the text's index. */
  add(text: string): number {
    return this.texts.push(text) - 1;
  }

  seal(): void {
    const texts = this.texts;
    if (texts.length === 0) return;
    const joined = texts.join('');
    this.bytes = Buffer.from(joined);
    // ASCII (nearly always): byte offsets are string offsets.
    const ascii = this.bytes.length === joined.length;
    const offsets = new Array<number>(texts.length + 1);
    let at = 0;
    for (let i = 0; i < texts.length; i++) {
      offsets[i] = at;
      at += ascii ? texts[i]!.length : Buffer.byteLength(texts[i]!);
    }
    offsets[texts.length] = at;
    this.offsets = offsets;
  }
}

const EMPTY = new Uint8Array(0);

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
  if (app.added_by !== undefined) {
    const { id, name } = app.added_by;
    const by =
      id !== undefined && name !== undefined
        ? `"id":${quote(id)},"name":${quote(name)}`
        : id !== undefined
          ? `"id":${quote(id)}`
          : name !== undefined
            ? `"name":${quote(name)}`
            : '';
    text += `"added_by":{${by}},`;
  }
  if (app.added_at !== undefined) text += `"added_at":${number(app.added_at)},`;
  return text;
}

function channel(app: AppState): string {
  return app.channel_id !== undefined ? `"channel_id":${quote(app.channel_id)},` : '';
}

function changeText(change: AppChange): string {
  let text = `{"change_type":${quote(change.change_type)},"at":${number(change.at)}`;
  if (change.user_id !== undefined) text += `,"user_id":${quote(change.user_id)}`;
  if (change.user_name !== undefined) text += `,"user_name":${quote(change.user_name)}`;
  if (change.reason !== undefined) text += `,"reason":${quote(change.reason)}`;
  if (change.scopes_added !== undefined) text += `,"scopes_added":${strings(change.scopes_added)}`;
  if (change.scopes_removed !== undefined) text += `,"scopes_removed":${strings(change.scopes_removed)}`;
  return `${text}}`;
}

/**
 * Where in `before` the changes that `after` starts with begin, when `after` is `before` with its
 * oldest changes dropped and new ones appended (the same change objects); else -1.
 */
function reusableFrom(before: readonly object[], after: readonly object[]): number {
  const from = after.length > 0 ? before.indexOf(after[0]!) : -1;
  if (from < 0 || before.length - from > after.length) return -1;
  for (let i = from; i < before.length; i++) if (before[i] !== after[i - from]) return -1;
  return from;
}
