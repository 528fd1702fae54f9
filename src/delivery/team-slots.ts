import pLimit from 'p-limit';

/** A place taken by one pass. */
export interface Slot {
  /** The pass ended: the place goes to the next team waiting for one. */
  release(): void;
  /**
   * Runs `wait` (a wait before a retry) without the place, and takes one again after it, behind the
   * teams that asked meanwhile. Nested or overlapping waits give it back once and take it once.
   */
  aside<T>(wait: () => Promise<T>): Promise<T>;
}

/**
 * `SLACK_TEAM_CONCURRENCY`: the places for passes of different teams at once. A team waiting before
 * a retry (a Slack rate limit's Retry-After, a backoff) does nothing in the meantime, so it gives
 * its place back for the wait: with hundreds of teams, one rate-limited team does not hold up the
 * others. Passes in progress may exceed the places by the teams waiting. One case goes past them
 * for a moment: a prefetched page given up while it waits (its pass found it needs another page)
 * gives the place back, and its pass goes on without it until it is taken again.
 */
export class TeamSlots {
  private readonly limit: pLimit.Limit;

  constructor(concurrency: number) {
    this.limit = pLimit(concurrency);
  }

  /** A place, once one is free (in the order asked); resolves with the function that gives it back. */
  private place(): Promise<() => void> {
    return new Promise((taken) => {
      void this.limit(() => new Promise<void>((give) => taken(give)));
    });
  }

  async take(): Promise<Slot> {
    let held: (() => void) | undefined = await this.place();
    let ended = false;
    let waits = 0;
    let retaking: Promise<void> | undefined;
    const retake = () =>
      (retaking ??= this.place().then((give) => {
        retaking = undefined;
        // Taken after the pass ended, or while a new wait began: given back at once.
        if (ended || waits > 0) give();
        else held = give;
      }));
    return {
      release: () => {
        ended = true;
        held?.();
        held = undefined;
      },
      aside: async (wait) => {
        waits++;
        held?.();
        held = undefined;
        let waited = false;
        try {
          const value = await wait();
          waited = true;
          return value;
        } finally {
          waits--;
          // A wait cut short (shutdown, the team removed) ends its pass at once rather than queueing
          // behind every other team's pass first; the place is taken back meanwhile, and given
          // back at once if the pass has ended by then.
          if (!waited) {
            if (!held && !ended && waits === 0) void retake();
          } else {
            while (!held && !ended && waits === 0) await retake();
          }
        }
      },
    };
  }
}
