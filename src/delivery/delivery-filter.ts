import type { CursorPosition } from '../core/types.js';

/**
 * Decides, for entries met oldest first, which are new and which occurrence of their content each
 * one is. Pure.
 *
 * Slack's entries carry no id, and two entries identical in every field and second are two events.
 * So an entry is known by (its date, its fingerprint, its occurrence among identical ones in that
 * second). The cursor keeps, for its own second only, how many of each fingerprint were delivered:
 * the first that many occurrences met again are skipped, the rest are new. Earlier seconds are
 * wholly delivered; later ones wholly new.
 */
export class DeliveryFilter {
  private readonly start: CursorPosition;
  private currentDate: number | undefined;
  private counts = new Map<string, number>();

  constructor(start: CursorPosition) {
    this.start = start;
  }

  /**
   * @param sortDate Unix seconds; calls must come in non-decreasing `sortDate`.
   * @returns `occurrence` (0-based) of this content in this second, and whether it is new.
   */
  admit(sortDate: number, fingerprint: string): { deliver: boolean; occurrence: number } {
    if (sortDate < this.start.date) {
      return { deliver: false, occurrence: -1 };
    }
    if (sortDate !== this.currentDate) {
      if (this.currentDate !== undefined && sortDate < this.currentDate) {
        throw new Error(`entries met out of date order (${sortDate} after ${this.currentDate})`);
      }
      this.currentDate = sortDate;
      this.counts = new Map();
    }
    const occurrence = this.counts.get(fingerprint) ?? 0;
    this.counts.set(fingerprint, occurrence + 1);
    const already = sortDate === this.start.date ? (this.start.delivered[fingerprint] ?? 0) : 0;
    return { deliver: occurrence >= already, occurrence };
  }

  /** The cursor once everything admitted so far is delivered. */
  position(): CursorPosition {
    if (this.currentDate === undefined) {
      return this.start;
    }
    const delivered: Record<string, number> = {};
    if (this.currentDate === this.start.date) {
      // A read that returned fewer of them than were delivered keeps the larger count, so their
      // return in a later read is not taken for new events.
      Object.assign(delivered, this.start.delivered);
    }
    for (const [fp, n] of this.counts) {
      delivered[fp] = Math.max(n, delivered[fp] ?? 0);
    }
    return { date: this.currentDate, delivered };
  }
}

/**
 * Entries without a usable `date` have no second to be counted in: where they sort depends on
 * their neighbours, which change as entries arrive. So the cursor keeps, for them alone, how many
 * of each content were ever delivered, and a later pass meeting one again skips it. Pure.
 */
export class UndatedFilter {
  private readonly start: Readonly<Record<string, number>>;
  /** The same counts in a Map: asked about every entry, and a Map lookup stays cheap for any key. */
  private readonly known: ReadonlyMap<string, number>;
  private readonly seen = new Map<string, number>();

  constructor(start: Readonly<Record<string, number>> = {}) {
    this.start = start;
    this.known = new Map(Object.entries(start));
  }

  /** Whether this content was delivered before as an undated entry (its date may be usable now). */
  knows(fingerprint: string): boolean {
    return (this.known.get(fingerprint) ?? 0) > 0;
  }

  admit(fingerprint: string): { deliver: boolean; occurrence: number } {
    const occurrence = this.seen.get(fingerprint) ?? 0;
    this.seen.set(fingerprint, occurrence + 1);
    return { deliver: occurrence >= (this.known.get(fingerprint) ?? 0), occurrence };
  }

  /** Delivered counts once everything admitted so far is delivered. */
  delivered(): Record<string, number> {
    const out: Record<string, number> = { ...this.start };
    for (const [fp, n] of this.seen) out[fp] = Math.max(n, out[fp] ?? 0);
    return out;
  }
}
