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
  const headBytes = Buffer.byteLength(head);
  const starts: number[] = [];
  for (let i = 0; i < kept; i++) starts.push(previous!.starts[from + i]! - previous!.starts[from]! + headBytes);
  let fresh = '';
  let end = headBytes + reused.length;
  for (let i = kept; i < timeline.length; i++) {
    const text = `${i > 0 ? ',' : ''}${JSON.stringify(timeline[i])}`;
    starts.push(end + (i > 0 ? 1 : 0));
    end += Buffer.byteLength(text);
    fresh += text;
  }

  const bytes = Buffer.allocUnsafeSlow(end + Buffer.byteLength(tail));
  bytes.write(head, 0);
  reused.copy(bytes, headBytes);
  bytes.write(fresh, headBytes + reused.length);
  bytes.write(tail, end);
  return { app, bytes, starts, end };
}

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
