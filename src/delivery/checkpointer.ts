import type { CursorState } from '../state/cursor.js';

/**
 * Saves the cursor behind the collector's acknowledgements, off the export's critical path.
 *
 * A save is several file-system round trips (open, write, fsync, close); waiting for each before
 * sending the next batch would idle the connection. So batches are numbered 1, 2, ... in export
 * order, each acknowledged state is handed over here, and saves run one at a time in that order.
 * A save that is still waiting when a newer state arrives is replaced by it (each state includes
 * everything before it). The sender asks `covered(n)` before going on, which bounds how far
 * delivery runs ahead of the saved cursor.
 */
export class Checkpointer {
  private savedThrough = 0;
  private ackedThrough = 0;
  /** The state after the newest acknowledged batch, while it waits for the save in progress. */
  private waiting: CursorState | undefined;
  private running: Promise<void> | undefined;
  private failure: unknown;
  private failed = false;
  /** `covered` calls waiting for the next save to end. */
  private readonly waiters: Array<() => void> = [];

  /** @param save persists one state; resolves once it is durable. */
  constructor(private readonly save: (state: CursorState) => Promise<void>) {}

  /** Batch `n` (counting from 1, called in order) was acknowledged; `state` is the cursor once it is delivered. */
  acknowledged(n: number, state: CursorState): void {
    this.ackedThrough = n;
    this.waiting = state;
    if (!this.running && !this.failed) {
      this.running = this.drain();
      this.running.catch(() => undefined); // the failure is kept and thrown by `covered`
    }
  }

  /**
   * Resolves once the saved cursor covers batch `n` (at once for `n <= 0`).
   * @throws the first save's error, once a save failed: no later state is saved after it.
   */
  async covered(n: number): Promise<void> {
    for (;;) {
      if (this.failed) throw this.failure;
      if (this.savedThrough >= n) return;
      if (!this.running) {
        throw new Error(`batch ${n} was never acknowledged (acknowledged through ${this.ackedThrough})`);
      }
      // Woken when a save ends: batch n may be covered before a newer save behind it ends.
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves once no save is running (whether the saves succeeded or not). Never rejects. */
  async settled(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting) {
        const state = this.waiting;
        const through = this.ackedThrough;
        this.waiting = undefined;
        await this.save(state);
        this.savedThrough = through;
        this.wake();
      }
    } catch (error) {
      this.failed = true;
      this.failure = error;
      throw error;
    } finally {
      this.running = undefined;
      this.wake();
    }
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
