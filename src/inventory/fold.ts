import type { InventoryStatus } from './types.js';

/**
 * The inventory as a fold of the integration log: entries applied one at a time, oldest first (the
 * export order), each app's state replaced, never changed in place, so a state handed out (to a
 * batch, to the saved cursor) stays what it was while the fold goes on. Pure. docs/inventory.md.
 */

/** Changes kept per app for its timeline: the most recent ones. */
export const TIMELINE_LENGTH = 50;

/** One change of an app as the state keeps it: dates in Unix seconds (the report shows ISO 8601). */
export interface AppChange {
  change_type: string;
  user_id?: string;
  user_name?: string;
  at: number;
  reason?: string;
  scopes_added?: string[];
  scopes_removed?: string[];
}

/** One app or integration as the cursor file keeps it. */
export interface AppState {
  app_id?: string;
  service_id?: string;
  app_type?: string;
  service_type?: string;
  status: InventoryStatus;
  /** Held now, sorted. */
  scopes: string[];
  added_by?: { id?: string; name?: string };
  added_at?: number;
  last_change: AppChange;
  channel_id?: string;
  /** Oldest first, at most `TIMELINE_LENGTH`. */
  timeline: AppChange[];
}

/** Apps by `inventoryKey`. */
export type Inventory = ReadonlyMap<string, AppState>;

/** What one entry changed, as of the entry: what its record says. */
export interface FoldEffect {
  /** `added`, `expanded`, `updated`: the scopes it granted that were not held just before. */
  scopesAdded?: string[];
  /** `removed`: the scopes held until then. */
  scopesRemoved?: string[];
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  return typeof value === 'number' ? String(value) : undefined;
}

/** Distinct values `kept` shares, and the longest; past them, values are kept as they come. */
const KEPT_VALUES = 10_000;
const KEPT_LENGTH = 200;
const keptValues = new Map<string, string>();
/**
 * One string for each of the few values a change keeps (scopes, user names, reasons): a timeline
 * keeps the changes of its app for many batches, long enough for V8 to promote them, and a copy of
 * each value per change (split from each entry's own `scope`) would be promoted with them.
 * (`JSON.parse` already shares strings of up to 10 characters: change types, user ids.)
 */
function kept(value: string): string;
function kept(value: string | undefined): string | undefined;
function kept(value: string | undefined): string | undefined {
  if (value === undefined || value.length > KEPT_LENGTH) return value;
  const known = keptValues.get(value);
  if (known !== undefined) return known;
  if (keptValues.size < KEPT_VALUES) keptValues.set(value, value);
  return value;
}

/** Slack's comma-separated `scope`, as a list without blanks. */
export function splitScopes(value: string): string[] {
  // In the array `split` made, of its own length: one grown by `push` would hold room for 16.
  const scopes = value.split(',');
  let count = 0;
  for (const part of scopes) {
    const scope = part.trim();
    if (scope.length > 0) scopes[count++] = scope;
  }
  scopes.length = count;
  return scopes;
}

/** No scopes, one array for every state: frozen, as every array states share must never change. */
const NONE: string[] = Object.freeze([]) as unknown as string[];

/** One `scope` text: its distinct scopes in Slack's order (kept strings), and what it granted apps holding each `scopes` array. */
type ScopeList = { listed: string[]; grants: WeakMap<string[], Grant> };
/** What an entry grants: the scopes it adds, and the scopes held after it. */
type Grant = { added: string[]; scopes: string[] };
/** Distinct `scope` texts `scopeList` remembers, and the longest. */
const SCOPE_LISTS = 1_000;
const SCOPE_LIST_LENGTH = 2_000;
const scopeLists = new Map<string, ScopeList>();
/** Most entries repeat one of a few `scope` texts: each is split once. */
function scopeList(value: string): ScopeList {
  let list = scopeLists.get(value);
  if (list !== undefined) return list;
  const listed: string[] = [];
  for (const scope of splitScopes(value)) if (!listed.includes(scope)) listed.push(kept(scope));
  list = { listed: listed.length > 0 ? listed : NONE, grants: new WeakMap() };
  if (value.length <= SCOPE_LIST_LENGTH && scopeLists.size < SCOPE_LISTS) scopeLists.set(value, list);
  return list;
}

/**
 * What `list` grants an app holding `held`, worked out once for each `held` array: the states share
 * the arrays it returns, so the apps of a workspace, which hold a few sets of scopes, bring the
 * same few arrays back again and again (and a state kept for many batches keeps no copy of them).
 */
function grant(list: ScopeList, held: string[]): Grant {
  let grant = list.grants.get(held);
  if (grant !== undefined) return grant;
  const added = list.listed.filter((scope) => !held.includes(scope));
  if (added.length === 0) grant = { added: NONE, scopes: held };
  else if (added.length === list.listed.length) grant = { added: list.listed, scopes: held.concat(added).sort() };
  else grant = { added, scopes: held.concat(added).sort() };
  // A grant's `scopes` is a key of the next text's grants, and `NONE` (never collected) starts
  // every chain: the grants worked out are all kept while their lists are. So past `GRANTS`, the
  // lists are forgotten, and with them every grant.
  if (++grantsKept > GRANTS) {
    scopeLists.clear();
    grantsKept = 0;
  }
  list.grants.set(held, grant);
  return grant;
}
const GRANTS = 20_000;
let grantsKept = 0;

/** Distinct ids (service ids with a type) `inventoryKey` remembers the key of. */
const KEYS = 10_000;
const appKeys = new Map<string, string>();
/** By service id, then service type ('' for none). */
const serviceKeys = new Map<string, Map<string, string>>();
let serviceKeyCount = 0;

/**
 * Which app an entry is about: `app:<app_id>`; without one, `service:<service_id>`, followed by
 * `:<service_type>` when the entry has one, because one service id can stand for several
 * integrations of different types. `undefined`: the entry names neither (nothing to keep).
 * The string of each key is made once: the fold looks it up for every entry.
 */
export function inventoryKey(fields: Readonly<Record<string, unknown>>): string | undefined {
  const appId = text(fields.app_id);
  if (appId) {
    let key = appKeys.get(appId);
    if (key === undefined) {
      key = `app:${appId}`;
      if (appKeys.size < KEYS) appKeys.set(appId, key);
    }
    return key;
  }
  const serviceId = text(fields.service_id);
  if (!serviceId) return undefined;
  const serviceType = text(fields.service_type) ?? '';
  let byType = serviceKeys.get(serviceId);
  let key = byType?.get(serviceType);
  if (key === undefined) {
    key = serviceType ? `service:${serviceId}:${serviceType}` : `service:${serviceId}`;
    if (serviceKeyCount < KEYS) {
      if (byType === undefined) serviceKeys.set(serviceId, (byType = new Map()));
      byType.set(serviceType, key);
      serviceKeyCount++;
    }
  }
  return key;
}

/**
 * A change as the fold makes it. A class, so that V8 puts every field in the object: a literal
 * given fields after it was made keeps them in a second store, and states are kept for batches.
 */
class Change implements AppChange {
  declare change_type: string;
  declare at: number;
  declare user_id?: string;
  declare user_name?: string;
  declare reason?: string;
  declare scopes_added?: string[];
  declare scopes_removed?: string[];
  constructor(changeType: string, at: number, userId?: string, userName?: string, reason?: string, added?: string[], removed?: string[]) {
    this.change_type = changeType;
    this.at = at;
    if (userId) this.user_id = userId;
    if (userName) this.user_name = userName;
    if (reason) this.reason = reason;
    if (added) this.scopes_added = added;
    if (removed) this.scopes_removed = removed;
  }
}

/**
 * A state as the fold makes it (a class, as `Change`); `nextState` sets the fields after `timeline`.
 * Fields are set in one order, the order `JSON.stringify` writes them in (a dead letter's snapshot).
 */
class State implements AppState {
  declare status: InventoryStatus;
  declare scopes: string[];
  declare last_change: AppChange;
  declare timeline: AppChange[];
  constructor(status: InventoryStatus, scopes: string[], change: AppChange, timeline: AppChange[]) {
    this.status = status;
    this.scopes = scopes;
    this.last_change = change;
    this.timeline = timeline;
  }
}

/** What `change` says the entry changed. */
function effectOf(change: AppChange): FoldEffect {
  if (change.scopes_added) return { scopesAdded: change.scopes_added };
  return change.scopes_removed ? { scopesRemoved: change.scopes_removed } : {};
}

/**
 * The app after one entry dated `at` (Unix seconds), and what the entry changed. `previous` is not
 * changed. The rules (docs/inventory.md): a removal clears the scopes; `added`, `expanded` and
 * `updated` add theirs to what is held since the last removal, whether they list all of them or
 * only the new ones; `added` of an app that is not removed adds too, since one install can come as
 * an `added` and an `expanded` entry in one second, in either order.
 */
export function foldEntry(
  previous: AppState | undefined,
  fields: Readonly<Record<string, unknown>>,
  at: number,
): { app: AppState; effect: FoldEffect } {
  const app = nextState(previous, fields, at, false);
  return { app, effect: effectOf(app.last_change) };
}

/**
 * `foldEntry`'s app. `ownsPrevious`: the caller guarantees that no one else holds `previous` (it
 * was made since the fold last handed states out): its timeline is then extended in place rather
 * than copied.
 */
function nextState(previous: AppState | undefined, fields: Readonly<Record<string, unknown>>, at: number, ownsPrevious: boolean): AppState {
  // Written for speed (every delivered entry passes here): assignments rather than spreads, and
  // plain arrays, shared, for the few scopes an app holds.
  const changeType = text(fields.change_type) ?? 'changed';
  const wasGone = !previous || previous.status === 'removed';
  const held = wasGone ? NONE : previous.scopes;
  let scopes = held;
  let added: string[] | undefined;
  let removed: string[] | undefined;
  if (changeType === 'added' || changeType === 'expanded' || changeType === 'updated') {
    added = NONE;
    if (typeof fields.scope === 'string') {
      const granted = grant(scopeList(fields.scope), held);
      added = granted.added;
      scopes = granted.scopes;
    }
  } else if (changeType === 'removed') {
    removed = held;
    scopes = NONE;
  }

  let status: InventoryStatus;
  if (changeType === 'removed') status = 'removed';
  else if (changeType === 'disabled') status = 'disabled';
  else if (changeType === 'added' || changeType === 'enabled' || wasGone) status = 'active';
  else status = previous.status;

  const userId = text(fields.user_id);
  const userName = kept(text(fields.user_name));
  const change = new Change(changeType, at, userId, userName, kept(text(fields.reason)), added, removed);

  let timeline: AppChange[];
  const before = previous?.timeline;
  if (before && ownsPrevious) {
    before.push(change);
    if (before.length > TIMELINE_LENGTH) before.shift();
    timeline = before;
  } else if (before) {
    const from = before.length >= TIMELINE_LENGTH ? before.length - TIMELINE_LENGTH + 1 : 0;
    timeline = new Array<AppChange>(before.length - from + 1);
    for (let i = from; i < before.length; i++) timeline[i - from] = before[i]!;
    timeline[timeline.length - 1] = change;
  } else {
    timeline = [change];
  }

  const app: AppState = new State(status, scopes, change, timeline);
  const appId = text(fields.app_id) ?? previous?.app_id;
  if (appId) app.app_id = appId;
  const serviceId = text(fields.service_id) ?? previous?.service_id;
  if (serviceId) app.service_id = serviceId;
  const appType = text(fields.app_type) ?? previous?.app_type;
  if (appType) app.app_type = appType;
  const serviceType = text(fields.service_type) ?? previous?.service_type;
  if (serviceType) app.service_type = serviceType;
  // Who let it in: the first `added` since it was last removed (an `expanded` may come first).
  if (changeType === 'added' && (wasGone || previous.added_at === undefined)) {
    app.added_by = {};
    if (userId) app.added_by.id = userId;
    if (userName) app.added_by.name = userName;
    app.added_at = at;
  } else if (previous?.added_at !== undefined) {
    if (previous.added_by) app.added_by = previous.added_by;
    app.added_at = previous.added_at;
  }
  const channel = text(fields.channel) ?? previous?.channel_id;
  if (channel) app.channel_id = channel;
  return app;
}

/** An app's latest state, and the round of `InventoryFold` (its calls of `takeChanges`) it last changed in. */
type Slot = { app: AppState; round: number };

/**
 * The live inventory of a pass: starts from a saved one (never changed: apps are replaced in slots
 * of its own), folds entries in export order, and hands out the apps changed since the last call
 * of `takeChanges`, which are what a batch adds to the acknowledged inventory.
 */
export class InventoryFold {
  /** By key: one map lookup per entry. */
  private readonly slots = new Map<string, Slot>();
  /** The slots changed this round, in the order they first changed. */
  private changed: [string, Slot][] = [];
  private round = 0;

  constructor(start: Inventory = new Map()) {
    for (const [key, app] of start) this.slots.set(key, { app, round: -1 });
  }

  /** Folds one entry dated `at` (Unix seconds); an entry naming no app changes nothing. */
  apply(fields: Readonly<Record<string, unknown>>, at: number): FoldEffect {
    const key = inventoryKey(fields);
    if (key === undefined) return effectOf(nextState(undefined, fields, at, false).last_change);
    let slot = this.slots.get(key);
    if (slot === undefined) this.slots.set(key, (slot = { app: nextState(undefined, fields, at, false), round: -1 }));
    // An app changed since `takeChanges` last handed states out is this fold's alone.
    else slot.app = nextState(slot.app, fields, at, slot.round === this.round);
    if (slot.round !== this.round) {
      slot.round = this.round;
      this.changed.push([key, slot]);
    }
    return effectOf(slot.app.last_change);
  }

  /** The apps changed since the last call, by key (states that never change). */
  takeChanges(): Map<string, AppState> {
    const changes = new Map<string, AppState>();
    for (const [key, { app }] of this.changed) {
      // A timeline extended in place has room for half as many changes again: handed out (and
      // kept for batches) with its own length.
      app.timeline = app.timeline.slice();
      changes.set(key, app);
    }
    this.changed = [];
    this.round++;
    return changes;
  }

  /** The apps as folded so far. Apps changed since the last `takeChanges` may still change in place. */
  get inventory(): Inventory {
    const apps = new Map<string, AppState>();
    for (const [key, { app }] of this.slots) apps.set(key, app);
    return apps;
  }
}

/**
 * The apps a snapshot lists, ordered by key: `changed` undefined, every app not removed (a full
 * snapshot); else those keys, removed ones included, so that the newest snapshot of an app always
 * says whether it can still reach the workspace.
 */
export function snapshotApps(inventory: Inventory, changed?: Iterable<string>): AppState[] {
  const keys = changed ? [...new Set(changed)].filter((key) => inventory.has(key)) : [...inventory.keys()];
  return keys
    .sort()
    .map((key) => inventory.get(key)!)
    .filter((app) => changed !== undefined || app.status !== 'removed');
}
