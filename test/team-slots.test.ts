/**
 * SLACK_TEAM_CONCURRENCY's places (`TeamSlots`): a pass waiting before a retry gives its place back
 * and queues again behind the teams that asked meanwhile; a place is never lost or doubled. The
 * order of events is recorded and compared with the order the places allow, not timed.
 */
import { describe, expect, it } from 'vitest';
import { TeamSlots } from '../src/delivery/team-slots.js';

/** A promise and the function that settles it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** While `holder` has the last place, a new taker waits; it gets the place once `holder` gives it back. */
async function expectWaitsFor(slots: TeamSlots, holder: { release(): void }): Promise<void> {
  let took = false;
  const next = slots.take().then((slot) => {
    took = true;
    return slot;
  });
  await settle();
  expect(took).toBe(false);
  holder.release();
  (await next).release();
  expect(took).toBe(true);
}

/** Exactly one place is left: of two takers, the second gets it only once the first gives it back. */
async function expectOnePlaceLeft(slots: TeamSlots): Promise<void> {
  await expectWaitsFor(slots, await slots.take());
}

describe('TeamSlots', () => {
  it('one place: B gets it while A waits, A gets it back only after B released it', async () => {
    const slots = new TeamSlots(1);
    const events: string[] = [];
    const a = await slots.take();
    events.push('A took');
    const wait = gate();
    const aWaits = a.aside(async () => {
      events.push('A waits');
      await wait.promise;
      events.push('A waited');
    });
    const b = await slots.take();
    events.push('B took');
    wait.open();
    await settle();
    // A's wait is over, but B holds the one place.
    expect(events).toEqual(['A took', 'A waits', 'B took', 'A waited']);
    let aBack = false;
    void aWaits.then(() => (aBack = true));
    await settle();
    expect(aBack).toBe(false);
    b.release();
    await aWaits;
    const c = slots.take();
    let cTook = false;
    void c.then(() => (cTook = true));
    await settle();
    // A holds the place again: C waits for A's release.
    expect(cTook).toBe(false);
    a.release();
    (await c).release();
    expect(cTook).toBe(true);
  });

  it('overlapping waits give the place back once and take it once; a release while retaking loses no place', async () => {
    const slots = new TeamSlots(1);
    const a = await slots.take();
    const first = gate();
    const second = gate();
    const w1 = a.aside(() => first.promise);
    const w2 = a.aside(() => second.promise);
    const b = await slots.take();
    first.open();
    second.open();
    await settle();
    // A retakes behind B; it ends (released) before B gives the place back.
    a.release();
    b.release();
    await Promise.all([w1, w2]);
    await expectOnePlaceLeft(slots);
  });

  it('the wait error reaches the caller, and the place is taken again', async () => {
    const slots = new TeamSlots(1);
    const a = await slots.take();
    await expect(a.aside(() => Promise.reject(new Error('stopped')))).rejects.toThrow('stopped');
    await expectWaitsFor(slots, a);
  });
  it('a wait cut short ends at once, not behind the pass holding the place, and no place is lost', async () => {
    const slots = new TeamSlots(1);
    const a = await slots.take();
    const wait = gate();
    const aWaits = a.aside(async () => {
      await wait.promise;
      throw new Error('stopped');
    });
    const b = await slots.take();
    let aEnded = false;
    const aResult = aWaits.catch((error: Error) => {
      aEnded = true;
      return error.message;
    });
    wait.open();
    await settle();
    // B still holds the one place, yet A's wait has ended with its error.
    expect(aEnded).toBe(true);
    expect(await aResult).toBe('stopped');
    a.release();
    b.release();
    await settle();
    await expectOnePlaceLeft(slots);
  });
});
