/**
 * The inventory's fold, entry by entry: expected states written by hand from the rules in
 * docs/inventory.md (issue 18 §1, §2).
 */
import { describe, expect, it } from 'vitest';
import { InventoryFold, TIMELINE_LENGTH, foldEntry, inventoryKey, splitScopes } from '../src/inventory/fold.js';
import { inventoryItems } from '../src/inventory/items.js';
import { referenceFold } from './inventory-reference.js';

const T0 = 1_796_000_000;

describe('inventoryKey', () => {
  it('is the app id, else the service id with its type when the entry has one', () => {
    expect(inventoryKey({ app_id: 'A1', service_id: '5' })).toBe('app:A1');
    expect(inventoryKey({ service_id: '5', service_type: 'RSS' })).toBe('service:5:RSS');
    expect(inventoryKey({ service_id: '5' })).toBe('service:5');
    expect(inventoryKey({ service_id: 5, service_type: '' })).toBe('service:5');
    expect(inventoryKey({ rss_feed_url: 'https://example.com/rss' })).toBeUndefined();
  });
});

describe('splitScopes', () => {
  it('is the comma-separated scopes without blanks or the spaces around them', () => {
    expect(splitScopes('chat:write, commands ,,im:history,')).toEqual(['chat:write', 'commands', 'im:history']);
    expect(splitScopes(' ,  , ')).toEqual([]);
    expect(splitScopes('')).toEqual([]);
    expect(splitScopes('identify')).toEqual(['identify']);
  });
});

describe('foldEntry', () => {
  it('added: active, the listed scopes, who added it and when; every scope is new', () => {
    const { app, effect } = foldEntry(
      undefined,
      { change_type: 'added', app_id: 'A1', app_type: 'Polly', user_id: 'U1', user_name: 'ann', scope: 'commands,chat:write' },
      T0,
    );
    expect(effect).toEqual({ scopesAdded: ['commands', 'chat:write'] });
    expect(app).toEqual({
      app_id: 'A1',
      app_type: 'Polly',
      status: 'active',
      scopes: ['chat:write', 'commands'],
      added_by: { id: 'U1', name: 'ann' },
      added_at: T0,
      last_change: { change_type: 'added', user_id: 'U1', user_name: 'ann', at: T0, scopes_added: ['commands', 'chat:write'] },
      timeline: [{ change_type: 'added', user_id: 'U1', user_name: 'ann', at: T0, scopes_added: ['commands', 'chat:write'] }],
    });
  });

  it('expanded with the full list and with only the new scopes give the same state and the same new scopes', () => {
    const { app: added } = foldEntry(undefined, { change_type: 'added', app_id: 'A1', scope: 'commands' }, T0);
    const full = foldEntry(added, { change_type: 'expanded', app_id: 'A1', scope: 'commands, im:history' }, T0 + 1);
    const delta = foldEntry(added, { change_type: 'expanded', app_id: 'A1', scope: 'im:history' }, T0 + 1);
    expect(full.effect).toEqual({ scopesAdded: ['im:history'] });
    expect(delta.effect).toEqual({ scopesAdded: ['im:history'] });
    expect(full.app.scopes).toEqual(['commands', 'im:history']);
    expect(delta.app.scopes).toEqual(['commands', 'im:history']);
    // The state handed out before is not changed.
    expect(added.scopes).toEqual(['commands']);
    expect(added.timeline).toHaveLength(1);
  });

  it('an expansion that grants nothing new says so with an empty list; a repeated scope counts once', () => {
    const { app } = foldEntry(undefined, { change_type: 'added', app_id: 'A1', scope: 'commands,commands' }, T0);
    expect(app.scopes).toEqual(['commands']);
    expect(foldEntry(app, { change_type: 'expanded', app_id: 'A1', scope: 'commands' }, T0).effect).toEqual({ scopesAdded: [] });
  });

  it('removed clears the scopes and reports them; a later added starts from nothing, with its own adder', () => {
    const { app: added } = foldEntry(undefined, { change_type: 'added', app_id: 'A1', user_id: 'U1', scope: 'commands,files:read' }, T0);
    const { app: removed, effect } = foldEntry(
      added,
      { change_type: 'removed', app_id: 'A1', user_id: 'U2', reason: 'user_removed' },
      T0 + 5,
    );
    expect(effect).toEqual({ scopesRemoved: ['commands', 'files:read'] });
    expect(removed.status).toBe('removed');
    expect(removed.scopes).toEqual([]);
    expect(removed.last_change).toEqual({
      change_type: 'removed',
      user_id: 'U2',
      at: T0 + 5,
      reason: 'user_removed',
      scopes_removed: ['commands', 'files:read'],
    });
    const again = foldEntry(removed, { change_type: 'added', app_id: 'A1', user_id: 'U3', scope: 'commands' }, T0 + 9);
    expect(again.effect).toEqual({ scopesAdded: ['commands'] });
    expect(again.app.scopes).toEqual(['commands']);
    expect(again.app.added_by).toEqual({ id: 'U3' });
    expect(again.app.added_at).toBe(T0 + 9);
  });

  it('an expanded before the added of one install (same second): the added still names who added it, and adds its scopes', () => {
    const { app: expanded } = foldEntry(undefined, { change_type: 'expanded', app_id: 'A1', user_id: 'U1', scope: 'im:history' }, T0);
    expect(expanded.status).toBe('active');
    expect(expanded.added_by).toBeUndefined();
    const { app, effect } = foldEntry(expanded, { change_type: 'added', app_id: 'A1', user_id: 'U1', scope: 'commands' }, T0);
    expect(effect).toEqual({ scopesAdded: ['commands'] });
    expect(app.scopes).toEqual(['commands', 'im:history']);
    expect(app.added_by).toEqual({ id: 'U1' });
    // A second added of an app that is not removed keeps the first adder.
    expect(foldEntry(app, { change_type: 'added', app_id: 'A1', user_id: 'U9', scope: 'commands' }, T0 + 1).app.added_by).toEqual({
      id: 'U1',
    });
  });

  it('disabled and enabled change the status only; updated on a disabled app keeps it disabled', () => {
    const { app: added } = foldEntry(
      undefined,
      { change_type: 'added', service_id: '7', service_type: 'RSS', channel: 'C1', scope: 'incoming-webhook' },
      T0,
    );
    const { app: disabled, effect } = foldEntry(
      added,
      { change_type: 'disabled', service_id: '7', service_type: 'RSS', reason: 'deauth' },
      T0 + 1,
    );
    expect(effect).toEqual({});
    expect(disabled).toMatchObject({ status: 'disabled', scopes: ['incoming-webhook'], channel_id: 'C1' });
    const { app: updated } = foldEntry(disabled, { change_type: 'updated', service_id: '7', service_type: 'RSS', channel: 'C2' }, T0 + 2);
    expect(updated).toMatchObject({ status: 'disabled', channel_id: 'C2' });
    expect(foldEntry(updated, { change_type: 'enabled', service_id: '7' }, T0 + 3).app.status).toBe('active');
  });

  it(`keeps the most recent ${TIMELINE_LENGTH} changes in the timeline, oldest first`, () => {
    let app = foldEntry(undefined, { change_type: 'added', app_id: 'A1' }, T0).app;
    for (let i = 1; i <= TIMELINE_LENGTH + 10; i++) app = foldEntry(app, { change_type: 'updated', app_id: 'A1' }, T0 + i).app;
    expect(app.timeline).toHaveLength(TIMELINE_LENGTH);
    expect(app.timeline[0]!.at).toBe(T0 + 11);
    expect(app.timeline.at(-1)!.at).toBe(T0 + TIMELINE_LENGTH + 10);
  });
});

describe('InventoryFold', () => {
  it('changes only its own map, and hands out the apps changed since the last call', () => {
    const fold = new InventoryFold();
    fold.apply({ change_type: 'added', app_id: 'A1', scope: 'commands' }, T0);
    fold.apply({ change_type: 'added', app_id: 'A2' }, T0);
    const first = fold.takeChanges();
    expect([...first.keys()]).toEqual(['app:A1', 'app:A2']);
    const start = fold.inventory;
    const next = new InventoryFold(start);
    next.apply({ change_type: 'removed', app_id: 'A1' }, T0 + 1);
    expect(next.takeChanges().get('app:A1')!.status).toBe('removed');
    expect(start.get('app:A1')!.status).toBe('active');
    expect(next.apply({ change_type: 'added', rss_feed_url: 'x', scope: 'a' }, T0 + 2)).toEqual({ scopesAdded: ['a'] });
    expect(next.takeChanges().size).toBe(0);
  });
});

describe('InventoryFold, one scope text again and again', () => {
  const entry = (change_type: string, app_id: string, scope?: string) => ({
    change_type,
    app_id,
    ...(scope === undefined ? {} : { scope }),
  });

  it('grants each app what it does not hold at that point', () => {
    const fold = new InventoryFold();
    const text = 'commands, chat:write';
    expect(fold.apply(entry('added', 'A1', 'chat:write'), T0)).toEqual({ scopesAdded: ['chat:write'] });
    expect(fold.apply(entry('expanded', 'A1', text), T0 + 1)).toEqual({ scopesAdded: ['commands'] });
    expect(fold.apply(entry('added', 'A2', text), T0 + 1)).toEqual({ scopesAdded: ['commands', 'chat:write'] });
    expect(fold.apply(entry('updated', 'A1', text), T0 + 2)).toEqual({ scopesAdded: [] });
    expect(fold.apply(entry('removed', 'A1'), T0 + 3)).toEqual({ scopesRemoved: ['chat:write', 'commands'] });
    expect(fold.apply(entry('added', 'A1', text), T0 + 4)).toEqual({ scopesAdded: ['commands', 'chat:write'] });
    expect(fold.apply(entry('expanded', 'A2', `${text},im:history`), T0 + 4)).toEqual({ scopesAdded: ['im:history'] });
    const apps = fold.takeChanges();
    expect(apps.get('app:A1')!.scopes).toEqual(['chat:write', 'commands']);
    expect(apps.get('app:A2')!.scopes).toEqual(['chat:write', 'commands', 'im:history']);
  });

  it('never changes a state it handed out, whatever comes after', () => {
    const fold = new InventoryFold();
    fold.apply(entry('added', 'A1', 'commands'), T0);
    fold.apply(entry('added', 'A2', 'commands'), T0);
    const handedOut = fold.takeChanges();
    const before = JSON.stringify([...handedOut]);
    for (let i = 1; i <= TIMELINE_LENGTH + 5; i++) {
      fold.apply(entry(['expanded', 'removed', 'added'][i % 3]!, i % 2 ? 'A1' : 'A2', 'commands,files:read'), T0 + i);
      if (i % 7 === 0) fold.takeChanges();
    }
    expect(JSON.stringify([...handedOut])).toBe(before);
    // Field order included: a state's JSON (a dead letter's snapshot) follows it.
    const change = { change_type: 'added', at: T0, scopes_added: ['commands'] };
    const state = (id: string) => ({
      status: 'active',
      scopes: ['commands'],
      last_change: change,
      timeline: [change],
      app_id: id,
      added_by: {},
      added_at: T0,
    });
    expect(before).toBe(
      JSON.stringify([
        ['app:A1', state('A1')],
        ['app:A2', state('A2')],
      ]),
    );
  });
});

describe('InventoryFold, many scope texts over many apps', () => {
  it('past the grants it remembers (it forgets them all at 20,000), still what the reference fold says, entry by entry', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const scopes = Array.from({ length: 30 }, (_, i) => `scope:${i}`);
    const log = Array.from({ length: 60_000 }, (_, i) => {
      const r = random();
      return {
        app_id: `A${Math.floor(random() * 3_000)}`,
        change_type: r < 0.05 ? 'removed' : r < 0.35 ? 'added' : 'expanded',
        scope: scopes.filter(() => random() < 0.2).join(','),
        date: 1_700_000_000 + i,
      };
    });
    const reference = referenceFold(log);
    const fold = new InventoryFold();
    log.forEach((entry, i) => {
      const effect = fold.apply(entry, entry.date);
      expect([effect.scopesAdded, effect.scopesRemoved]).toEqual([reference.effects[i]!.added, reference.effects[i]!.removed]);
    });
    const inventory = fold.inventory;
    for (const [key, app] of reference.apps) expect(inventory.get(key)!.scopes).toEqual([...app.scopes].sort());
  });
});

describe('inventoryItems', () => {
  it('prints the state as inventory --json does: ISO dates, sensitive scopes, the team', () => {
    const fold = new InventoryFold();
    fold.apply(
      { change_type: 'added', app_id: 'A1', app_type: 'Polly', user_id: 'U1', user_name: 'ann', scope: 'commands,admin.users:read' },
      1_796_108_117,
    );
    expect(inventoryItems(fold.inventory, 'T1')).toEqual([
      {
        team_id: 'T1',
        app_id: 'A1',
        app_type: 'Polly',
        status: 'active',
        scopes: ['admin.users:read', 'commands'],
        sensitive_scopes: ['admin.users:read'],
        added_by: { id: 'U1', name: 'ann' },
        added_at: '2026-12-01T06:55:17.000Z',
        last_change: { change_type: 'added', user_id: 'U1', user_name: 'ann', at: '2026-12-01T06:55:17.000Z' },
        timeline: [
          {
            change_type: 'added',
            user_id: 'U1',
            user_name: 'ann',
            at: '2026-12-01T06:55:17.000Z',
            scopes_added: ['commands', 'admin.users:read'],
          },
        ],
      },
    ]);
  });

  it('hands out lists of its own: changing them changes neither the inventory nor what the fold grants next', () => {
    const fold = new InventoryFold();
    const scope = 'commands,chat:write';
    fold.apply({ change_type: 'added', app_id: 'A1', scope }, 1);
    const [item] = inventoryItems(fold.inventory);
    item!.scopes.push('admin');
    item!.timeline[0]!.scopes_added!.push('admin');
    const [again] = inventoryItems(fold.inventory);
    expect([again!.scopes, again!.timeline[0]!.scopes_added]).toEqual([
      ['chat:write', 'commands'],
      ['commands', 'chat:write'],
    ]);
    // Another app granted the same text from nothing gets the same scopes, not the changed list.
    expect(fold.apply({ change_type: 'added', app_id: 'A2', scope }, 2).scopesAdded).toEqual(['commands', 'chat:write']);
  });
});
