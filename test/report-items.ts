import type { InventoryItem } from '../src/inventory/types.js';

/**
 * Inventories written by hand for the report tests: what the fold of the demo workspace's log
 * gives, one removed app, and one app whose every name is hostile (markup, quotes, commas, a
 * formula, a terminal escape, a bidirectional override).
 */
export const ITEMS: InventoryItem[] = [
  {
    app_id: 'A0789TODO',
    app_type: 'Todo Bot',
    status: 'disabled',
    scopes: ['chat:write', 'im:history'],
    sensitive_scopes: ['im:history'],
    added_by: { id: 'U4567DEFG', name: 'maria' },
    added_at: '2026-12-06T13:00:00.000Z',
    last_change: { change_type: 'disabled', user_id: 'U4567DEFG', user_name: 'maria', at: '2026-12-06T19:00:00.000Z', reason: 'user' },
    timeline: [
      {
        change_type: 'added',
        user_id: 'U4567DEFG',
        user_name: 'maria',
        at: '2026-12-06T13:00:00.000Z',
        scopes_added: ['chat:write', 'im:history'],
      },
      { change_type: 'disabled', user_id: 'U4567DEFG', user_name: 'maria', at: '2026-12-06T19:00:00.000Z', reason: 'user' },
    ],
  },
  {
    app_id: 'A0456GITHUB',
    app_type: 'GitHub',
    status: 'active',
    scopes: ['chat:write', 'channels:read', 'commands', 'channels:history', 'users:read.email'],
    sensitive_scopes: ['channels:history', 'users:read.email'],
    added_by: { id: 'U2345BCDE', name: 'billy' },
    added_at: '2026-12-04T21:00:00.000Z',
    last_change: { change_type: 'expanded', user_id: 'U2345BCDE', user_name: 'billy', at: '2026-12-05T19:00:00.000Z' },
    timeline: [
      {
        change_type: 'added',
        user_id: 'U2345BCDE',
        user_name: 'billy',
        at: '2026-12-04T21:00:00.000Z',
        scopes_added: ['chat:write', 'channels:read', 'commands'],
      },
      {
        change_type: 'expanded',
        user_id: 'U2345BCDE',
        user_name: 'billy',
        at: '2026-12-05T19:00:00.000Z',
        scopes_added: ['channels:history', 'users:read.email'],
      },
    ],
  },
  {
    service_id: '1234567890',
    service_type: 'Google Calendar',
    status: 'active',
    scopes: ['incoming-webhook'],
    sensitive_scopes: [],
    added_by: { id: 'U1234ABCD', name: 'johnny' },
    added_at: '2026-12-04T15:00:00.000Z',
    last_change: { change_type: 'enabled', user_id: 'U1234ABCD', user_name: 'johnny', at: '2026-12-04T15:00:00.000Z' },
    channel_id: 'C0123CALNDR',
    timeline: [
      {
        change_type: 'enabled',
        user_id: 'U1234ABCD',
        user_name: 'johnny',
        at: '2026-12-04T15:00:00.000Z',
        scopes_added: ['incoming-webhook'],
      },
    ],
  },
  {
    app_id: 'A0999SURVEY',
    app_type: 'Pulse Survey',
    status: 'removed',
    scopes: [],
    sensitive_scopes: [],
    added_by: { id: 'U1234ABCD', name: 'johnny' },
    added_at: '2026-11-02T09:30:00.000Z',
    last_change: { change_type: 'removed', user_id: 'U9999ADMIN', user_name: 'it-admin', at: '2026-12-01T08:15:00.000Z' },
    timeline: [
      {
        change_type: 'added',
        user_id: 'U1234ABCD',
        user_name: 'johnny',
        at: '2026-11-02T09:30:00.000Z',
        scopes_added: ['chat:write', 'files:read', 'admin.users:read'],
      },
      { change_type: 'expanded', user_id: 'U1234ABCD', user_name: 'johnny', at: '2026-11-10T10:00:00.000Z', scopes_added: [] },
      {
        change_type: 'removed',
        user_id: 'U9999ADMIN',
        user_name: 'it-admin',
        at: '2026-12-01T08:15:00.000Z',
        scopes_removed: ['chat:write', 'files:read', 'admin.users:read'],
      },
    ],
  },
  {
    app_id: 'A0666EVIL',
    app_type: '<script>alert("pwned")</script> & "Co", Ltd',
    status: 'active',
    scopes: ['files:read', 'admin.apps:write', 'reactions:read'],
    sensitive_scopes: ['files:read', 'admin.apps:write'],
    added_by: { id: 'U0666EVIL', name: '=HYPERLINK("http://evil.example/","x")' },
    added_at: '2026-12-06T22:00:00.000Z',
    last_change: {
      change_type: 'expanded',
      user_id: 'U0666EVIL',
      user_name: 'mallory\u001b[2J\u202eexe.',
      at: '2026-12-07T01:00:00.000Z',
      reason: 'said "ok", then\nleft',
    },
    timeline: [
      {
        change_type: 'added',
        user_id: 'U0666EVIL',
        user_name: '=HYPERLINK("http://evil.example/","x")',
        at: '2026-12-06T22:00:00.000Z',
        scopes_added: ['files:read', 'reactions:read'],
      },
      {
        change_type: 'expanded',
        user_id: 'U0666EVIL',
        user_name: 'mallory\u001b[2J\u202eexe.',
        at: '2026-12-07T01:00:00.000Z',
        reason: 'said "ok", then\nleft',
        scopes_added: ['admin.apps:write'],
      },
    ],
  },
];

/** Enterprise Grid: items of two teams, each with its `team_id`. */
export const GRID_ITEMS: InventoryItem[] = [
  { ...ITEMS[1]!, team_id: 'T0002BETA' },
  { ...ITEMS[2]!, team_id: 'T0001ALPHA' },
  { ...ITEMS[0]!, team_id: 'T0001ALPHA' },
];

export const GENERATED_AT = new Date('2026-12-07T13:20:05.000Z');
export const GENERATOR = 'slack-integration-logs-receiver 0.1.0';
