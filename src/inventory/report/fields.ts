import type { InventoryItem, InventoryStatus } from '../types.js';

/** How every report names an item: the inventory's key, `app_id`, else `service_id`. */
export function itemId(item: InventoryItem): string {
  return item.app_id ?? item.service_id ?? '';
}

/** What a person recognises: the app's or service's type (`GitHub`, `Google Calendar`). */
export function itemType(item: InventoryItem): string {
  return item.app_type ?? item.service_type ?? '';
}

const STATUS_RANK: Record<InventoryStatus, number> = { active: 0, disabled: 1, removed: 2 };

/** Reading order for people: by team, what can reach the workspace first, then by name and id. */
export function readingOrder(items: readonly InventoryItem[]): InventoryItem[] {
  return [...items].sort(
    (a, b) =>
      (a.team_id ?? '').localeCompare(b.team_id ?? '', 'en') ||
      STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
      itemType(a).localeCompare(itemType(b), 'en') ||
      itemId(a).localeCompare(itemId(b), 'en'),
  );
}

/** The teams the items belong to (Enterprise Grid), sorted; empty for a single workspace. */
export function teamsOf(items: readonly InventoryItem[]): string[] {
  return [...new Set(items.flatMap((item) => (item.team_id ? [item.team_id] : [])))].sort();
}

/** `2026-12-04T13:05:09.000Z` -> `2026-12-04 13:05`: minutes are enough for a person; the column says UTC. */
export function shortUtc(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(0, 16).replace('T', ' ');
}

/** `name (id)`, or whichever of the two the log has. */
export function person(id: string | undefined, name: string | undefined): string {
  if (name && id) return `${name} (${id})`;
  return name ?? id ?? '';
}

/** One line per report: how many items of each status, and how many hold sensitive scopes. */
export function summaryLine(items: readonly InventoryItem[]): string {
  const count = (status: InventoryStatus) => items.filter((item) => item.status === status).length;
  const sensitive = items.filter((item) => item.status !== 'removed' && item.sensitive_scopes.length > 0).length;
  const noun = items.length === 1 ? 'app or integration' : 'apps and integrations';
  return `${items.length} ${noun}: ${count('active')} active, ${count('disabled')} disabled, ${count('removed')} removed; ${sensitive} not removed hold sensitive scopes`;
}
