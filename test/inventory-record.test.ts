/**
 * Inventory snapshot records (issue 18 §4): expected records written by hand from the contract
 * (docs/mapping.md, docs/inventory.md "Snapshots"); the uid computed here with node:crypto.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toInventoryRecord } from '../src/record/inventory-record.js';
import type { AppState } from '../src/inventory/fold.js';

const SNAPSHOT_MS = 1_796_108_117_250;
const uid = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

describe('toInventoryRecord', () => {
  it('an app: its ids, status, scopes, sensitive scopes, who added it and when, its last change', () => {
    const app: AppState = {
      app_id: 'A0456GITHUB',
      app_type: 'GitHub',
      status: 'active',
      scopes: ['channels:history', 'chat:write', 'commands'],
      added_by: { id: 'U1', name: 'dana' },
      added_at: 1_392_163_200,
      last_change: { change_type: 'expanded', user_id: 'U2', at: 1_392_163_400, scopes_added: ['channels:history'] },
      timeline: [],
    };
    expect(toInventoryRecord(app, { timeMs: SNAPSHOT_MS, teamId: 'T1' })).toEqual({
      eventName: 'slack.integration.inventory',
      timestamp: [1_796_108_117, 250_000_000],
      observedTimestamp: [1_796_108_117, 250_000_000],
      severityNumber: 9,
      severityText: 'INFO',
      body: 'app "GitHub" (app_id A0456GITHUB) is active with scopes channels:history, chat:write, commands (sensitive: channels:history)',
      attributes: {
        'slack.integration.app_id': 'A0456GITHUB',
        'slack.integration.app_type': 'GitHub',
        'slack.integration.status': 'active',
        'slack.integration.scopes': ['channels:history', 'chat:write', 'commands'],
        'slack.integration.scopes.sensitive': ['channels:history'],
        'user.id': 'U1',
        'user.name': 'dana',
        'slack.integration.added_at': 1_392_163_200,
        'slack.integration.last_change.change_type': 'expanded',
        'slack.integration.last_change.user_id': 'U2',
        'slack.integration.last_change.date': 1_392_163_400,
        'log.record.uid': uid(`inventory:T1:app:A0456GITHUB:${SNAPSHOT_MS}`),
      },
    });
  });

  it('a disabled integration with a channel, never seen added: no adder, empty scope lists', () => {
    const hook: AppState = {
      service_id: '1234567890',
      service_type: 'Incoming WebHooks',
      status: 'disabled',
      scopes: [],
      channel_id: 'C1',
      last_change: { change_type: 'disabled', at: 1_392_163_500, reason: 'deauth' },
      timeline: [],
    };
    const record = toInventoryRecord(hook, { timeMs: SNAPSHOT_MS });
    expect(record.body).toBe('"Incoming WebHooks" (service_id 1234567890) is disabled');
    expect(record.attributes).toEqual({
      'slack.integration.service_id': '1234567890',
      'slack.integration.service_type': 'Incoming WebHooks',
      'slack.integration.channel_id': 'C1',
      'slack.integration.status': 'disabled',
      'slack.integration.scopes': [],
      'slack.integration.scopes.sensitive': [],
      'slack.integration.last_change.change_type': 'disabled',
      'slack.integration.last_change.date': 1_392_163_500,
      'slack.integration.last_change.reason': 'deauth',
      'log.record.uid': uid(`inventory::service:1234567890:Incoming WebHooks:${SNAPSHOT_MS}`),
    });
  });
});
