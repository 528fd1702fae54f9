import type { AppState, Inventory } from '../inventory/fold.js';

/** One app as the last save wrote it: its piece, and where each timeline change is in it. */
interface EncodedApp {
  app: AppState;
  /** `,"<key>":<JSON.stringify(app)>`. */
  bytes: Buffer;
  /** Byte offset in `bytes` of each change of `app.timeline`, and of the `]` after them. */
  starts: number[];
  end: number;
}

/**
 * The cursor file's inventory as bytes, one piece per app, for one cursor file's successive saves.
 *
 * A backfill saves after every batch, and a batch changes a few apps while the file holds them
 * all: an app whose state did not change is written from the bytes of the save before, one that
 * did reuses the bytes of the changes its timeline still holds (a timeline only drops its oldest
 * change and appends), so a save encodes only what is new. The bytes are those of
 * `JSON.stringify(app)`, whatever the order of the app's fields.
 */
export class InventoryEncoder {
  private readonly apps = new Map<string, EncodedApp>();

  /** `{"apps":{...}}` as pieces. */
  pieces(inventory: Inventory): Uint8Array[] {
    const pieces: Uint8Array[] = [APPS_START];
    for (const [key, app] of inventory) {
      let encoded = this.apps.get(key);
      if (encoded?.app !== app) {
        encoded = encodeApp(key, app, encoded);
        this.apps.set(key, encoded);
      }
      pieces.push(encoded.bytes);
    }
    // Each app's piece starts with the comma that separates it from the one before.
    if (pieces.length > 1) pieces[1] = pieces[1]!.subarray(1);
    pieces.push(APPS_END);
    // Apps another inventory held (one rebuilt): not kept for nothing.
    if (this.apps.size > inventory.size) {
      for (const key of this.apps.keys()) if (!inventory.has(key)) this.apps.delete(key);
    }
    return pieces;
  }
}

const APPS_START = Buffer.from('{"apps":{');
const APPS_END = Buffer.from('}}');

function encodeApp(key: string, app: AppState, previous: EncodedApp | undefined): EncodedApp {
  // The text around the timeline's changes: up to its `[`, and from its `]`.
  let head = `,${JSON.stringify(key)}:{`;
  let tail = '';
  let fields = 0;
  for (const [name, value] of Object.entries(app)) {
    if (value === undefined) continue;
    const field = `${fields++ > 0 ? ',' : ''}${JSON.stringify(name)}:`;
    if (name === 'timeline') {
      head += `${field}[`;
      tail = ']';
    } else if (tail) tail += `${field}${JSON.stringify(value)}`;
    else head += `${field}${JSON.stringify(value)}`;
  }
  tail += '}';

  const timeline = app.timeline;
  const from = previous ? reusableFrom(previous.app.timeline, timeline) : -1;
  const reused = from >= 0 ? previous!.bytes.subarray(previous!.starts[from], previous!.end) : EMPTY;
  const kept = from >= 0 ? previous!.app.timeline.length - from : 0;
  // The new changes' texts, written straight into the piece (no joined string).
  const texts = new Array<string>(timeline.length - kept);
  let size = Buffer.byteLength(head) + reused.length + Buffer.byteLength(tail);
  for (let i = kept; i < timeline.length; i++) {
    const text = JSON.stringify(timeline[i]);
    texts[i - kept] = text;
    size += Buffer.byteLength(text) + (i > 0 ? 1 : 0);
  }
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = bytes.write(head, 0);
  const starts = new Array<number>(timeline.length);
  for (let i = 0; i < kept; i++) starts[i] = previous!.starts[from + i]! - previous!.starts[from]! + at;
  at += reused.copy(bytes, at);
  for (let i = kept; i < timeline.length; i++) {
    if (i > 0) bytes[at++] = COMMA;
    starts[i] = at;
    at += bytes.write(texts[i - kept]!, at);
  }
  bytes.write(tail, at);
  return { app, bytes, starts, end: at };
}

const COMMA = 0x2c;
const EMPTY = Buffer.alloc(0);

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
