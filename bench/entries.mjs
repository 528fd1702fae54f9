/**
 * Deterministic `team.integrationLogs` entries shaped as Slack sends them (see
 * /work/shared/slack-api-notes.md): apps with app_id/app_type, custom integrations with a numeric
 * or string service_id and a channel, an RSS feed now and then, comma-separated scopes, reasons on
 * disables and removals, the odd undocumented field, dates as strings (sometimes numbers).
 * Entry i is dated BASE_DATE + floor(i / 3): three entries a second, newer as i grows.
 */

export const BASE_DATE = 1_700_000_000;

const APPS = [
  ['A01GITHUB01', 'GitHub'],
  ['A02JIRACLD2', 'Jira Cloud'],
  ['A03GDRIVE03', 'Google Drive'],
  ['A04ZOOMAPP4', 'Zoom'],
  ['A05PGDUTY05', 'PagerDuty'],
  ['A06TODOBOT6', 'Todo Bot'],
  ['A07NOTES007', 'Meeting Notes'],
  ['A08STANDUP8', 'Standup Reminder'],
];
const SERVICES = [
  [1234567890, 'Google Calendar'],
  ['3456789012', 'Airbrake'],
  [5678901234, 'Incoming WebHooks'],
  ['6789012345', 'Jenkins CI'],
  [7890123456, 'Outgoing WebHooks'],
];
const CHANGE_TYPES = ['added', 'enabled', 'updated', 'expanded', 'removed', 'disabled'];
const REASONS = ['user', 'rate_limits', 'slack', 'errors', 'system', 'admin', 'api_decline', 'deauth'];
const SCOPES = [
  'chat:write',
  'channels:read',
  'commands',
  'channels:history',
  'users:read',
  'users:read.email',
  'im:history',
  'files:read',
  'incoming-webhook',
  'reactions:write',
  'groups:read',
  'team:read',
];
const NAMES = ['johnny', 'billy', 'joey', 'maria', 'security-admin', 'anna.k', 'li.wei', 'omar', 'sofia.r', 'dev-ops'];

function pad(n, width) {
  return String(n).padStart(width, '0');
}

/** One entry, a pure function of its index. */
export function makeEntry(i) {
  const u = (i * 31) % 50;
  const changeType = CHANGE_TYPES[(i * 5 + Math.floor(i / 10)) % CHANGE_TYPES.length];
  const date = BASE_DATE + Math.floor(i / 3);
  const entry = {
    user_id: `U${pad(u * 7919, 8)}`,
    user_name: `${NAMES[u % NAMES.length]}${u >= NAMES.length ? u : ''}`,
    date: i % 7 === 0 ? date : String(date),
    change_type: changeType,
  };
  const kind = i % 10;
  if (kind <= 5) {
    const [appId, appType] = APPS[(i * 3 + Math.floor(i / 7)) % APPS.length];
    entry.app_id = appId;
    entry.app_type = appType;
  } else {
    const [serviceId, serviceType] = SERVICES[(i + Math.floor(i / 11)) % SERVICES.length];
    entry.service_id = serviceId;
    entry.service_type = kind === 9 ? 'RSS' : serviceType;
    entry.channel = `C${pad((i * 17) % 100000, 8)}`;
    if (kind === 9) {
      entry.rss_feed = true;
      entry.rss_feed_change_type = changeType === 'removed' ? 'removed' : 'added';
      entry.rss_feed_title = `Status page ${i % 40}`;
      entry.rss_feed_url = `https://status${i % 40}.example.com/feed.rss`;
    }
  }
  // 0 to 6 scopes, comma-separated; sometimes empty, as Slack sends it.
  const nScopes = (i * 7 + Math.floor(i / 13)) % 7;
  const first = (i * 5) % SCOPES.length;
  const scopes = [];
  for (let k = 0; k < nScopes; k++) scopes.push(SCOPES[(first + k) % SCOPES.length]);
  if (kind !== 9) entry.scope = scopes.join(',');
  if (changeType === 'disabled' || changeType === 'removed') entry.reason = REASONS[(i >> 2) % REASONS.length];
  if (i % 50 === 0) {
    entry.resolution = 'approved';
    entry.admin_app_id = 'A0000ADMIN0';
  }
  return entry;
}

/** Entries `from` .. `from + count - 1`. */
export function makeEntries(from, count) {
  const out = new Array(count);
  for (let k = 0; k < count; k++) out[k] = makeEntry(from + k);
  return out;
}
