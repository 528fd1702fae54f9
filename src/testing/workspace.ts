import type { SlackIntegrationLogRaw } from '../core/types.js';

/**
 * Realistic `team.integrationLogs` entries for the demo workspace, shaped as Slack sends them:
 * dates as strings and as numbers, `service_id` as a number, an RSS feed, a disable with a reason,
 * a scope expansion, an undocumented field, and two identical entries in one second.
 * @param now Unix seconds; entries are dated in the three days before it.
 */
export function demoEntries(now: number): SlackIntegrationLogRaw[] {
  const t = (hoursAgo: number) => String(now - Math.round(hoursAgo * 3600));
  return [
    {
      service_id: 1234567890,
      service_type: 'Google Calendar',
      user_id: 'U1234ABCD',
      user_name: 'johnny',
      channel: 'C0123CALNDR',
      date: t(70),
      change_type: 'enabled',
      scope: 'incoming-webhook',
    },
    {
      app_id: 'A0456GITHUB',
      app_type: 'GitHub',
      user_id: 'U2345BCDE',
      user_name: 'billy',
      date: t(52),
      change_type: 'added',
      scope: 'chat:write,channels:read,commands',
    },
    {
      app_id: 'A0456GITHUB',
      app_type: 'GitHub',
      user_id: 'U2345BCDE',
      user_name: 'billy',
      date: t(30),
      change_type: 'expanded',
      scope: 'chat:write,channels:read,commands,channels:history,users:read.email',
    },
    {
      service_id: '3456789012',
      service_type: 'Airbrake',
      user_id: 'U3456CDEF',
      user_name: 'joey',
      channel: 'C0456ALERTS',
      date: t(26),
      change_type: 'disabled',
      reason: 'errors',
      scope: 'incoming-webhook',
    },
    {
      rss_feed: true,
      rss_feed_change_type: 'added',
      rss_feed_title: 'Status page',
      rss_feed_url: 'https://status.example.com/feed.rss',
      service_id: 4567890123,
      service_type: 'RSS',
      user_id: 'U1234ABCD',
      user_name: 'johnny',
      channel: 'C0789STATUS',
      date: t(20),
      change_type: 'added',
    },
    {
      app_id: 'A0789TODO',
      app_type: 'Todo Bot',
      user_id: 'U4567DEFG',
      user_name: 'maria',
      date: Number(t(12)),
      change_type: 'added',
      scope: 'chat:write,im:history',
    },
    {
      app_id: 'A0789TODO',
      app_type: 'Todo Bot',
      user_id: 'U4567DEFG',
      user_name: 'maria',
      date: t(6),
      change_type: 'disabled',
      reason: 'user',
      scope: '',
    },
    {
      app_id: 'A0789TODO',
      app_type: 'Todo Bot',
      user_id: 'U4567DEFG',
      user_name: 'maria',
      date: t(6),
      change_type: 'disabled',
      reason: 'user',
      scope: '',
    },
    {
      app_id: 'A0999LEGACY',
      app_type: 'Legacy Exporter',
      user_id: 'U0001ADMIN',
      user_name: 'security-admin',
      date: t(2),
      change_type: 'removed',
      reason: 'admin',
      resolution: 'approved',
      admin_app_id: 'A0000ADMIN',
    },
  ];
}

/** Entries that "happen" between the demo's two passes. */
export function demoLaterEntries(now: number): SlackIntegrationLogRaw[] {
  return [
    {
      app_id: 'A0555NOTES',
      app_type: 'Meeting Notes',
      user_id: 'U2345BCDE',
      user_name: 'billy',
      date: String(now - 30),
      change_type: 'added',
      scope: 'chat:write,files:read',
    },
    {
      service_id: 1234567890,
      service_type: 'Google Calendar',
      user_id: 'U1234ABCD',
      user_name: 'johnny',
      channel: 'C0123CALNDR',
      date: String(now - 10),
      change_type: 'removed',
      reason: 'user',
    },
  ];
}
