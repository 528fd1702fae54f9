import type { InventoryItem } from '../types.js';

/** `inventory --json`: one JSON array, each element exactly an `InventoryItem` (what `receiver.inventory()` returns). */
export function inventoryJson(items: readonly InventoryItem[]): string {
  return `${JSON.stringify(items, null, 2)}\n`;
}
