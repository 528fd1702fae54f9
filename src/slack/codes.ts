/**
 * What Slack's `ok:false` codes for `team.integrationLogs` mean and what a person does about them.
 * Codes: https://api.slack.com/methods/team.integrationLogs#errors and the Web API's common errors.
 */

/** Needs a person: retrying will not help. */
export const FATAL_FIXES: Readonly<Record<string, string>> = {
  not_authed: 'no token reached Slack: set SLACK_TOKEN or SLACK_TOKEN_FILE',
  invalid_auth: 'the token is not valid (or, with SLACK_TEAM_ID, its owner is not in that team): check SLACK_TOKEN',
  account_inactive: 'the token belongs to a deactivated user: issue a token from an active admin',
  token_revoked: 'the token was revoked: reinstall the app and use its new xoxp- user token',
  token_expired:
    'the token expired (token rotation is on): set SLACK_REFRESH_TOKEN, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET and the receiver refreshes it (docs/credentials.md)',
  missing_scope: 'the token lacks the `admin` user scope: add the `admin` user token scope to the app and reinstall it',
  not_allowed_token_type: 'this method takes a user token: use the xoxp- user token, not a bot (xoxb-) or app token',
  is_bot: 'this method takes a user token: use the xoxp- user token, not a bot token',
  no_permission: 'the token owner is not allowed to read integration logs: use a token of a workspace admin or owner',
  access_denied: 'access was denied: use a token of a workspace admin or owner with the `admin` scope',
  paid_only: 'integration logs need a paid Slack plan',
  team_added_to_org: 'the workspace moved into an Enterprise Grid org: issue a new token',
  org_login_required: 'the workspace is migrating to Enterprise Grid: issue a new token once it is done',
  two_factor_setup_required: 'the token owner must set up two-factor authentication',
  ekm_access_denied: 'Slack EKM denied access: ask your Slack admin',
  enterprise_is_restricted: 'the Enterprise Grid org restricts this method: ask your Slack org admin',
  invalid_arg_name: 'an argument is not accepted: check the SLACK_* filter settings',
  missing_argument: 'an argument is missing: with an org-level token set SLACK_TEAM_ID',
  invalid_array_arg: 'an argument is malformed: check the SLACK_* filter settings',
  invalid_charset: 'Slack rejected the request encoding',
  team_access_not_granted: 'the token has no access to that team: check SLACK_TEAM_ID',
  method_deprecated: 'Slack deprecated team.integrationLogs for this workspace',
};

/** Worth retrying with backoff. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** Slack will not page further (documented for team.accessLogs: page <= 100; assumed here too). */
export const PAGINATION_LIMIT_CODE = 'over_pagination_limit';
