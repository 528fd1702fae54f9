import { describe, expect, it } from 'vitest';
import type { CursorState } from '../src/state/cursor.js';
import { Checkpointer } from '../src/delivery/checkpointer.js';

/**
 * The Checkpointer against a `save` the test finishes by hand: every call is kept with the state it
 * was given and the resolve/reject of the promise it returned, so the test decides when (and
 * whether) each save becomes durable, and nothing depends on timing.
 */

interface SaveCall {
  state: CursorState;
  resolve(): void;
  reject(error: unknown): void;
}

function fakeSave() {
  const calls: SaveCall[] = [];
  const save = (state: CursorState) => new Promise<void>((resolve, reject) => calls.push({ state, resolve, reject }));
  return { calls, save };
}

/** A distinct cursor state for batch `n`: its position is second `1000 + n`. */
const stateOf = (n: number): CursorState => ({ position: { date: 1000 + n, delivered: {} }, backfillStart: 0, persisted: true });

/** Lets every pending promise callback run (the Checkpointer's drain continues in microtasks). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether a promise has settled, and how, without awaiting it. */
function watch(promise: Promise<unknown>) {
  const seen: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  promise.then(
    () => (seen.state = 'resolved'),
    (error: unknown) => Object.assign(seen, { state: 'rejected', error }),
  );
  return seen;
}

describe('Checkpointer', () => {
  it('saves the acknowledged states in acknowledgement order, one save at a time', async () => {
    const { calls, save } = fakeSave();
    const checkpoints = new Checkpointer(save);
    const states = [1, 2, 3].map(stateOf);

    checkpoints.acknowledged(1, states[0]!);
    expect(calls.map((c) => c.state)).toEqual([states[0]]);
    calls[0]!.resolve();
    await flush();

    checkpoints.acknowledged(2, states[1]!);
    expect(calls).toHaveLength(2);
    // Batch 3 is acknowledged while the save of batch 2 runs: it waits, no second save starts.
    checkpoints.acknowledged(3, states[2]!);
    await flush();
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await flush();
    expect(calls).toHaveLength(3);
    calls[2]!.resolve();
    await checkpoints.covered(3);

    expect(calls.map((c) => c.state)).toEqual(states);
    expect(calls[0]!.state).toBe(states[0]);
    expect(calls[2]!.state).toBe(states[2]);
  });

  it('a newer state replaces one still waiting: fewer saves than acknowledgements, the newest saved last', async () => {
    const { calls, save } = fakeSave();
    const checkpoints = new Checkpointer(save);
    const states = [1, 2, 3, 4].map(stateOf);

    checkpoints.acknowledged(1, states[0]!);
    // Batches 2, 3 and 4 are acknowledged while batch 1's save runs: only 4 is worth saving.
    checkpoints.acknowledged(2, states[1]!);
    checkpoints.acknowledged(3, states[2]!);
    checkpoints.acknowledged(4, states[3]!);
    expect(calls).toHaveLength(1);

    const batch2 = watch(checkpoints.covered(2));
    calls[0]!.resolve();
    await flush();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.state).toBe(states[3]);
    // Batch 2 is covered by the save of batch 4's state, which is not durable yet.
    expect(batch2.state).toBe('pending');

    calls[1]!.resolve();
    await flush();
    expect(batch2.state).toBe('resolved');
    await checkpoints.covered(4);
    expect(calls.map((c) => c.state)).toEqual([states[0], states[3]]);
  });

  it('covered(n) resolves only once batch n is saved (and at once for n <= 0)', async () => {
    const { calls, save } = fakeSave();
    const checkpoints = new Checkpointer(save);
    await expect(checkpoints.covered(0)).resolves.toBeUndefined();

    checkpoints.acknowledged(1, stateOf(1));
    const batch1 = watch(checkpoints.covered(1));
    await flush();
    expect(batch1.state).toBe('pending');
    calls[0]!.resolve();
    await flush();
    expect(batch1.state).toBe('resolved');

    checkpoints.acknowledged(2, stateOf(2));
    checkpoints.acknowledged(3, stateOf(3)); // waits for save 2
    const batch2 = watch(checkpoints.covered(2));
    const batch3 = watch(checkpoints.covered(3));
    await flush();
    expect([batch2.state, batch3.state]).toEqual(['pending', 'pending']);
    calls[1]!.resolve();
    await flush();
    expect(batch3.state).toBe('pending');
    calls[2]!.resolve();
    await flush();
    expect([batch2.state, batch3.state]).toEqual(['resolved', 'resolved']);
  });

  // Regression: `covered` used to wait for the whole drain, so a batch already saved was not
  // reported covered while a newer state was being saved, and the send loop stalled one save.
  it('covered(n) resolves as soon as batch n is saved, even while a newer state is being saved', async () => {
    const { calls, save } = fakeSave();
    const checkpoints = new Checkpointer(save);
    checkpoints.acknowledged(1, stateOf(1));
    checkpoints.acknowledged(2, stateOf(2)); // waits for save 1
    const batch1 = watch(checkpoints.covered(1));
    calls[0]!.resolve();
    await flush();
    expect(calls).toHaveLength(2); // save 2 runs: batch 1 is on disk
    expect(batch1.state).toBe('resolved');
  });

  it('after a failed save no later save runs, and covered throws that error', async () => {
    const { calls, save } = fakeSave();
    const checkpoints = new Checkpointer(save);
    const diskFull = new Error('ENOSPC: no space left on device');

    checkpoints.acknowledged(1, stateOf(1));
    checkpoints.acknowledged(2, stateOf(2)); // waits for save 1
    const batch2 = watch(checkpoints.covered(2));
    calls[0]!.reject(diskFull);
    await flush();

    expect(calls).toHaveLength(1);
    expect(batch2).toEqual({ state: 'rejected', error: diskFull });
    await expect(checkpoints.covered(1)).rejects.toBe(diskFull);

    // Acknowledgements after the failure start no save either.
    checkpoints.acknowledged(3, stateOf(3));
    await flush();
    expect(calls).toHaveLength(1);
    await expect(checkpoints.covered(3)).rejects.toBe(diskFull);
  });

  it.each([
    ['nothing was acknowledged yet', 0, 1, 'batch 1 was never acknowledged (acknowledged through 0)'],
    ['batches up to 2 were acknowledged and saved', 2, 3, 'batch 3 was never acknowledged (acknowledged through 2)'],
  ])('covered(n) for a batch never acknowledged throws (%s)', async (_name, acknowledged, asked, message) => {
    const { calls, save } = fakeSave();
    const checkpoints = new Checkpointer(save);
    for (let n = 1; n <= acknowledged; n++) {
      checkpoints.acknowledged(n, stateOf(n));
      calls[n - 1]!.resolve();
      await checkpoints.covered(n);
    }
    await expect(checkpoints.covered(asked)).rejects.toThrow(message);
  });

  it('covered(n) for a batch past the one being saved throws once that save ends', async () => {
    const { calls, save } = fakeSave();
    const checkpoints = new Checkpointer(save);
    checkpoints.acknowledged(1, stateOf(1));
    const batch2 = watch(checkpoints.covered(2));
    await flush();
    expect(batch2.state).toBe('pending');
    calls[0]!.resolve();
    await flush();
    expect(batch2.state).toBe('rejected');
    expect((batch2.error as Error).message).toBe('batch 2 was never acknowledged (acknowledged through 1)');
  });

  it('settled() waits for the save in progress and never rejects, even when the save fails', async () => {
    const { calls, save } = fakeSave();
    const checkpoints = new Checkpointer(save);
    await expect(checkpoints.settled()).resolves.toBeUndefined();

    checkpoints.acknowledged(1, stateOf(1));
    checkpoints.acknowledged(2, stateOf(2));
    const settled = watch(checkpoints.settled());
    calls[0]!.resolve();
    await flush();
    // Save 2 started from the waiting state: still not settled.
    expect(calls).toHaveLength(2);
    expect(settled.state).toBe('pending');

    calls[1]!.reject(new Error('EIO: i/o error'));
    await flush();
    expect(settled.state).toBe('resolved');
    await expect(checkpoints.settled()).resolves.toBeUndefined();
  });
});
