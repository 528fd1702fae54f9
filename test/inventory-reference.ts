/**
 * The reference inventory for the inventory tests: issue 18 §1 read literally, written without
 * src/inventory/, small and obvious. Entries in export order (date, then their order in the log).
 */

export interface ReferenceApp {
  status: string;
  scopes: Set<string>;
  addedAt?: number;
  lastChange: string;
  lastAt: number;
}

export interface ReferenceEffect {
  added?: string[];
  removed?: string[];
}

/** The apps after every entry, and what each entry (by index) changed as of it. */
export function referenceFold(log: ReadonlyArray<Record<string, unknown>>): {
  apps: Map<string, ReferenceApp>;
  effects: ReferenceEffect[];
} {
  const apps = new Map<string, ReferenceApp>();
  const effects: ReferenceEffect[] = [];
  for (const body of log) {
    const key = body.app_id ? `app:${String(body.app_id)}` : `service:${String(body.service_id)}:${String(body.service_type)}`;
    const type = body.change_type as string;
    const before = apps.get(key);
    const gone = !before || before.status === 'removed';
    const held = gone ? new Set<string>() : new Set(before.scopes);
    const listed = String(body.scope ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const app: ReferenceApp = {
      status: before?.status ?? 'active',
      scopes: held,
      addedAt: before?.addedAt,
      lastChange: type,
      lastAt: Number(body.date),
    };
    const effect: ReferenceEffect = {};
    if (type === 'added' || type === 'expanded' || type === 'updated') {
      effect.added = [...new Set(listed)].filter((s) => !held.has(s));
      for (const s of effect.added) app.scopes.add(s);
    }
    if (type === 'removed') {
      effect.removed = [...held].sort();
      app.scopes = new Set();
    }
    if (type === 'removed' || type === 'disabled') app.status = type;
    else if (type === 'added' || type === 'enabled' || gone) app.status = 'active';
    if (type === 'added' && (gone || before.addedAt === undefined)) app.addedAt = Number(body.date);
    apps.set(key, app);
    effects.push(effect);
  }
  return { apps, effects };
}

/** The apps as plain data, to compare with the receiver's. */
export function referenceProjection(apps: Map<string, ReferenceApp>): Record<string, unknown> {
  return Object.fromEntries(
    [...apps].map(([key, app]) => [
      key,
      { status: app.status, scopes: [...app.scopes].sort(), addedAt: app.addedAt, lastChange: app.lastChange, lastAt: app.lastAt },
    ]),
  );
}

/**
 * The apps of a cursor file's text, read as docs/cursor.md describes version 3, without the
 * receiver's parser: line 1's inventory, then each save line's apps (whole, or patches: the
 * fields given replace, the timeline drops its `timeline_dropped` oldest changes and appends);
 * `last_change` absent is the timeline's newest; a change is `[change_type, at, ...]`. A last line
 * that is not JSON (a save cut short) is left out.
 */
export function savedApps(text: string): Array<[string, SavedApp]> {
  type Change = [string, number, ...unknown[]];
  type Written = Omit<SavedApp, 'last_change'> & { last_change?: Change; timeline: Change[]; timeline_dropped?: number };
  const apps = new Map<string, Written>();
  const lines = text.split('\n').slice(0, -1);
  const parsed = lines.flatMap((line, i) => {
    try {
      return [JSON.parse(line) as { inventory?: { apps: Record<string, Written> }; apps?: Record<string, Written> }];
    } catch (e) {
      if (i === lines.length - 1) return [];
      throw e;
    }
  });
  for (const line of parsed) {
    for (const [key, app] of Object.entries(line.inventory?.apps ?? line.apps ?? {})) {
      const before = apps.get(key);
      const { timeline_dropped: dropped, ...fields } = app;
      if (dropped === undefined || !before) apps.set(key, fields);
      else {
        const { last_change: _, ...kept } = before;
        apps.set(key, { ...kept, ...fields, timeline: [...before.timeline.slice(dropped), ...app.timeline] });
      }
    }
  }
  return [...apps].map(([key, app]) => {
    const [change_type, at] = app.last_change ?? app.timeline.at(-1)!;
    return [key, { ...app, last_change: { change_type, at } }];
  });
}

type SavedApp = { status: string; scopes: string[]; added_at?: number; last_change: { change_type: string; at: number } };

/** The receiver's saved apps (`inventory.apps` of the cursor file) in the same terms. */
export function savedProjection(
  apps: Iterable<[string, { status: string; scopes: string[]; added_at?: number; last_change: { change_type: string; at: number } }]>,
): Record<string, unknown> {
  return Object.fromEntries(
    [...apps].map(([key, app]) => [
      key,
      {
        status: app.status,
        scopes: [...app.scopes].sort(),
        addedAt: app.added_at,
        lastChange: app.last_change.change_type,
        lastAt: app.last_change.at,
      },
    ]),
  );
}
