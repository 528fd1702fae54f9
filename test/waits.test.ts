/**
 * Waits a newcomer met without a word (issue 19 §7): Slack's `ratelimited` answer (HTTP 200, no
 * Retry-After) counts as a rate-limit wait, and a lock left by a killed run says why the run waits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CursorLockedError } from '../src/core/errors.js';
import { CursorStore } from '../src/state/cursor-store.js';
import { harnessPerTest, makeEntries } from './helpers.js';

const harness = harnessPerTest();

describe('Slack answering {"ok":false,"error":"ratelimited"}', () => {
  it('is waited out as a rate limit: counted in rateLimitWaits, then the pass delivers', async () => {
    const h = await harness.start({ entries: makeEntries(5) });
    h.slack.enqueue({ slackError: 'ratelimited' });
    const summary = await h.receiver({ backfillStartTime: 0, retryDeadline: 20 }).syncOnce();
    expect(summary.exported).toBe(5);
    // One scripted refusal, one wait, and the same page asked again.
    expect(summary.rateLimitWaits).toBe(1);
    expect(summary.slackRequests).toBe(h.slack.requests.length);
    expect(h.logger.at('warn').filter((l) => l.message.startsWith('Slack answered ratelimited: waiting'))).toHaveLength(1);
  }, 30_000);
});

describe('a cursor lock held by another holder', () => {
  it('says once that it waits, for how long and why, before it gives up with CursorLockedError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slack-logs-lock-wait-'));
    const path = join(dir, 'cursor.json');
    const holder = new CursorStore(path);
    await holder.lock();
    const said: string[] = [];
    try {
      const waiting = new CursorStore(path, { lockWaitMs: 1_000, staleMs: 5_000, onWait: (m) => said.push(m) });
      await expect(waiting.lock()).rejects.toThrow(CursorLockedError);
      expect(said).toEqual([
        `cursor file ${path} is locked (${path}.lock): waiting up to 1s, for a receiver that holds it, or for the lock of a run that was killed to go stale (5s after its last refresh)`,
      ]);
    } finally {
      await holder.unlock();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says nothing when the lock is free', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slack-logs-lock-wait-'));
    const said: string[] = [];
    const store = new CursorStore(join(dir, 'cursor.json'), { onWait: (m) => said.push(m) });
    try {
      await store.lock();
      expect(said).toEqual([]);
    } finally {
      await store.unlock();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
