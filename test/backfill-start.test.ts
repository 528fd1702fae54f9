import { describe, expect, it } from 'vitest';
import { BASE_DATE, harnessPerTest, makeEntries, TEST_TOKEN } from './helpers.js';

/** Where a first run starts: a cursor that never delivered anything does not pin the start. */

const harness = harnessPerTest();

describe('the backfill start of a first run', () => {
  it('an explicit backfill start wins over a cursor that never delivered anything', async () => {
    const entries = makeEntries(6);
    const h = await harness.start({ entries, slackToken: 'xoxp-other-not-a-real-token' });
    const first = h.receiver({ backfillStartTime: BASE_DATE + 3 });
    await first.syncOnce().catch(() => undefined); // invalid_auth: the cursor stays at its start
    await h.shutdown(first);
    h.slack.options.token = TEST_TOKEN;
    const summary = await h.receiver({ backfillStartTime: 0 }).syncOnce();
    expect(summary.exported).toBe(6);
  });
});
