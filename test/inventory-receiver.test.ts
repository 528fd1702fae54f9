/**
 * The inventory through the real receiver, against the fake Slack and a decoding collector
 * (issue 18 §1, §4, §5): `receiver.inventory()`, snapshot records after the change records, the
 * upgrade of a version 1 cursor file, and a damaged inventory refused until `--rebuild-inventory`.
 * Expected values are written from the fixture below.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CursorFileError, NoInventoryError } from '../src/core/errors.js';
import type { SlackIntegrationLogRaw } from '../src/core/types.js';
import { deadLetterFileFor } from '../src/state/dead-letter-file.js';
import { BASE_DATE, harnessPerTest, type Harness, savedCursor } from './helpers.js';

const harness = harnessPerTest();

/** Oldest first. */
const LOG: SlackIntegrationLogRaw[] = [
  { app_id: 'A1', app_type: 'Polly', user_id: 'U1', user_name: 'ann', date: String(BASE_DATE), change_type: 'added', scope: 'commands' },
  {
    app_id: 'A2',
    app_type: 'Notes',
    user_id: 'U2',
    user_name: 'bob',
    date: String(BASE_DATE + 1),
    change_type: 'added',
    scope: 'chat:write',
  },
  { app_id: 'A1', user_id: 'U2', date: String(BASE_DATE + 2), change_type: 'expanded', scope: 'commands,im:history' },
  { app_id: 'A2', user_id: 'U1', date: String(BASE_DATE + 3), change_type: 'removed', reason: 'user' },
];
const newestFirst = (entries: SlackIntegrationLogRaw[]) => [...entries].reverse();
/** What the collector received, in order: each record's event name and app. */
const kinds = (h: Harness) => h.collector.records.map((r) => `${r.eventName} ${String(r.attributes['slack.integration.app_id'])}`);

describe('receiver.inventory()', () => {
  it('says there is none before a pass, then returns every app as inventory --json prints it', async () => {
    const h = await harness.start({ entries: newestFirst(LOG) });
    const receiver = h.receiver({ backfillStartTime: 0 });
    await expect(receiver.inventory()).rejects.toThrow(NoInventoryError);
    await expect(receiver.inventory()).rejects.toThrow(
      /no app inventory in .*cursor\.json yet: run slack-integration-logs --once to build it/,
    );
    await receiver.syncOnce();
    const iso = (s: number) => new Date(s * 1000).toISOString();
    const items = await receiver.inventory();
    expect(items.map(({ timeline: _t, ...item }) => item)).toEqual([
      {
        app_id: 'A1',
        app_type: 'Polly',
        status: 'active',
        scopes: ['commands', 'im:history'],
        sensitive_scopes: ['im:history'],
        added_by: { id: 'U1', name: 'ann' },
        added_at: iso(BASE_DATE),
        last_change: { change_type: 'expanded', user_id: 'U2', at: iso(BASE_DATE + 2) },
      },
      {
        app_id: 'A2',
        app_type: 'Notes',
        status: 'removed',
        scopes: [],
        sensitive_scopes: [],
        added_by: { id: 'U2', name: 'bob' },
        added_at: iso(BASE_DATE + 1),
        last_change: { change_type: 'removed', user_id: 'U1', at: iso(BASE_DATE + 3), reason: 'user' },
      },
    ]);
    expect(items[0]!.timeline.map((c) => [c.change_type, c.scopes_added])).toEqual([
      ['added', ['commands']],
      ['expanded', ['im:history']],
    ]);
    // The change records say what changed.
    const changes = h.collector.records.filter((r) => r.eventName === 'slack.integration.change');
    expect(changes.map((r) => [r.attributes['slack.integration.scopes.added'], r.attributes['slack.integration.scopes.removed']])).toEqual([
      [['commands'], undefined],
      [['chat:write'], undefined],
      [['im:history'], undefined],
      [undefined, ['chat:write']],
    ]);
  });
});

describe('snapshots', () => {
  it('a snapshot record the collector refuses even alone is dead-lettered (exit 5) and replayed with its time and uid', async () => {
    const h = await harness.start({ entries: newestFirst(LOG.slice(0, 3)) });
    const receiver = h.receiver({ backfillStartTime: 0, inventoryInterval: '24h' });
    const isA2Snapshot = (r: { eventName?: string; attributes: Record<string, unknown> }) =>
      r.eventName === 'slack.integration.inventory' && r.attributes['slack.integration.app_id'] === 'A2';
    h.collector.refuseRecord = isA2Snapshot;
    const summary = await receiver.syncOnce();
    expect(summary.deadLettered).toBe(1);
    expect(kinds(h)).toEqual([
      'slack.integration.change A1',
      'slack.integration.change A2',
      'slack.integration.change A1',
      'slack.integration.inventory A1',
    ]);
    const letters = (await readFile(deadLetterFileFor(h.cursorFile), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(letters).toHaveLength(1);
    expect(letters[0].snapshot.app).toMatchObject({ app_id: 'A2', status: 'active', scopes: ['chat:write'] });
    const snapshotTime = BigInt(Date.parse(letters[0].snapshot.at)) * 1_000_000n;
    // The snapshot of A1 that went through has the same time as the one kept.
    expect(h.collector.records.at(-1)!.timeUnixNano).toBe(snapshotTime);

    h.collector.refuseRecord = undefined;
    expect(await receiver.replayDeadLetters()).toEqual([{ delivered: 1, remaining: 0, file: deadLetterFileFor(h.cursorFile) }]);
    const replayed = h.collector.records.at(-1)!;
    expect(isA2Snapshot(replayed)).toBe(true);
    expect(replayed.attributes['log.record.uid']).toBe(letters[0]['log.record.uid']);
    expect(replayed.timeUnixNano).toBe(snapshotTime);
    expect(replayed.attributes['slack.integration.scopes']).toEqual(['chat:write']);
  });

  it('a full one after the first pass, then only the changed apps; none with inventoryInterval 0', async () => {
    const h = await harness.start({ entries: newestFirst(LOG.slice(0, 3)) });
    const receiver = h.receiver({ backfillStartTime: 0, inventoryInterval: '24h' });
    await receiver.syncOnce();
    expect(kinds(h)).toEqual([
      'slack.integration.change A1',
      'slack.integration.change A2',
      'slack.integration.change A1',
      'slack.integration.inventory A1',
      'slack.integration.inventory A2',
    ]);
    const snapshot = h.collector.records.at(-2)!;
    expect(snapshot.attributes).toMatchObject({
      'slack.integration.status': 'active',
      'slack.integration.scopes': ['commands', 'im:history'],
      'slack.integration.scopes.sensitive': ['im:history'],
      'user.id': 'U1',
      'user.name': 'ann',
      'slack.integration.added_at': BASE_DATE,
      'slack.integration.last_change.change_type': 'expanded',
    });
    // Its time is the snapshot's, after the change records'.
    expect(snapshot.timeUnixNano).toBeGreaterThan(BigInt(BASE_DATE + 2) * 1_000_000_000n);
    expect(snapshot.timeUnixNano).toBe(h.collector.records.at(-1)!.timeUnixNano);

    h.slack.add(LOG[3]!);
    await receiver.syncOnce();
    expect(kinds(h).slice(5)).toEqual(['slack.integration.change A2', 'slack.integration.inventory A2']);
    expect(h.collector.records.at(-1)!.attributes['slack.integration.status']).toBe('removed');
    await receiver.syncOnce();
    expect(kinds(h)).toHaveLength(7);

    const quiet = await harness.start({ entries: newestFirst(LOG) });
    await quiet.receiver({ backfillStartTime: 0, inventoryInterval: 0 }).syncOnce();
    expect(quiet.collector.records.map((r) => r.eventName)).toEqual(Array(4).fill('slack.integration.change'));
  });
});

describe('the cursor file', () => {
  it('a version 1 file is upgraded: the inventory is built from the whole log, nothing is exported twice', async () => {
    const h = await harness.start({ entries: newestFirst(LOG) });
    await mkdir(dirname(h.cursorFile), { recursive: true });
    // Version 1, delivered through the second entry.
    await writeFile(
      h.cursorFile,
      JSON.stringify({
        format: 'slack-integration-logs-receiver/cursor',
        version: 1,
        position: { date: BASE_DATE + 2, delivered: {} },
        backfillStart: 0,
      }),
    );
    const receiver = h.receiver({ inventoryInterval: 0 });
    const summary = await receiver.syncOnce();
    expect(summary.exported).toBe(2);
    expect((await receiver.inventory()).map((i) => [i.app_id, i.status, i.scopes])).toEqual([
      ['A1', 'active', ['commands', 'im:history']],
      ['A2', 'removed', []],
    ]);
    const file = savedCursor(await readFile(h.cursorFile, 'utf8'));
    expect(file.version).toBe(3);
    expect(file.position.date).toBe(BASE_DATE + 3);
  });

  it('a damaged inventory is refused, naming the file and --rebuild-inventory, which rebuilds it and keeps the cursor', async () => {
    const h = await harness.start({ entries: newestFirst(LOG) });
    const first = h.receiver({ backfillStartTime: 0, inventoryInterval: 0 });
    await first.syncOnce();
    await h.shutdown(first);
    const text = await readFile(h.cursorFile, 'utf8');
    await writeFile(h.cursorFile, text.replace('"status":"active"', '"status":"installed"'));
    const refused = h.receiver({ inventoryInterval: 0 });
    const error = await h.failingPass(refused);
    await h.shutdown(refused);
    expect(error).toBeInstanceOf(CursorFileError);
    expect(error.message).toBe(
      `cursor file ${h.cursorFile}: its inventory is damaged (inventory.apps.app:A1.status: ${error.message.match(/status: (.*)\); it was/)![1]}); it was left untouched: run once with --rebuild-inventory to read the whole log again and rebuild it (the cursor is kept)`,
    );
    expect(await readFile(h.cursorFile, 'utf8')).toContain('"status":"installed"');
    const rebuilt = h.receiver({ rebuildInventory: true, inventoryInterval: 0 });
    const summary = await rebuilt.syncOnce();
    expect(summary.exported).toBe(0);
    expect((await rebuilt.inventory()).map((i) => [i.app_id, i.status])).toEqual([
      ['A1', 'active'],
      ['A2', 'removed'],
    ]);
    expect(h.collector.records).toHaveLength(4);
  });
});
