import type { AppChange, AppState, Inventory } from './fold.js';
import { sensitiveScopesOf } from './sensitive-scopes.js';
import type { InventoryChange, InventoryItem } from './types.js';

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

/** Its lists copied: the states' are shared, and the fold's caches are keyed by them. */
function change({ at, ...rest }: AppChange): InventoryChange {
  const item: InventoryChange = { ...rest, at: iso(at) };
  if (item.scopes_added) item.scopes_added = [...item.scopes_added];
  if (item.scopes_removed) item.scopes_removed = [...item.scopes_removed];
  return item;
}

/** One app as `inventory --json` prints it. */
export function inventoryItem(app: AppState, teamId?: string): InventoryItem {
  const { scopes_added: _added, scopes_removed: _removed, ...last } = change(app.last_change);
  return {
    ...(teamId ? { team_id: teamId } : {}),
    ...(app.app_id ? { app_id: app.app_id } : {}),
    ...(app.service_id ? { service_id: app.service_id } : {}),
    ...(app.app_type ? { app_type: app.app_type } : {}),
    ...(app.service_type ? { service_type: app.service_type } : {}),
    status: app.status,
    scopes: [...app.scopes],
    sensitive_scopes: sensitiveScopesOf(app.scopes),
    ...(app.added_by ? { added_by: { ...app.added_by } } : {}),
    ...(app.added_at !== undefined ? { added_at: iso(app.added_at) } : {}),
    last_change: last,
    ...(app.channel_id ? { channel_id: app.channel_id } : {}),
    timeline: app.timeline.map(change),
  };
}

/** Every app of one team's inventory, ordered by key (app ids, then service ids). */
export function inventoryItems(inventory: Inventory, teamId?: string): InventoryItem[] {
  return [...inventory.keys()].sort().map((key) => inventoryItem(inventory.get(key)!, teamId));
}
