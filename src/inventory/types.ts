/**
 * The app inventory: what the integration log says can reach a workspace now. Field names follow
 * Slack's (`app_id`, `service_id`, `change_type`, ...); times are ISO 8601.
 */

export type InventoryStatus = 'active' | 'disabled' | 'removed';

/** One change of an app or integration, as its timeline shows it. */
export interface InventoryChange {
  change_type: string;
  user_id?: string;
  user_name?: string;
  /** ISO 8601: the entry's `date`. */
  at: string;
  reason?: string;
  /** `added`, `expanded`, `updated`: the scopes this change granted that were not held just before. */
  scopes_added?: string[];
  /** `removed`: the scopes held until then. */
  scopes_removed?: string[];
}

/** One app or integration, as `inventory --json` prints it and `receiver.inventory()` returns it. */
export interface InventoryItem {
  /** Enterprise Grid only: the team it belongs to. */
  team_id?: string;
  app_id?: string;
  service_id?: string;
  app_type?: string;
  service_type?: string;
  status: InventoryStatus;
  /** Held now: granted by `added`, `expanded` and `updated` since it was last removed. */
  scopes: string[];
  /** Of `scopes`, those on the sensitive list. */
  sensitive_scopes: string[];
  added_by?: { id?: string; name?: string };
  /** ISO 8601. */
  added_at?: string;
  last_change: { change_type: string; user_id?: string; user_name?: string; at: string; reason?: string };
  channel_id?: string;
  /** Its changes, oldest first (the most recent 50 at most): the report's timeline. */
  timeline: InventoryChange[];
}
