import { sensitiveScopesOf } from '../sensitive-scopes.js';
import type { InventoryChange, InventoryItem } from '../types.js';
import { itemId, itemType, person, readingOrder, shortUtc, summaryLine, teamsOf } from './fields.js';
import { printable } from './text.js';

export interface HtmlOptions {
  generatedAt: Date;
  /** The configured team IDs; without them, those of the items (Grid), else "the workspace". */
  teams: readonly string[];
  /** Who made the page, e.g. `slack-integration-logs-receiver 0.1.0`. */
  generator: string;
}

/**
 * Everything from Slack goes through this, text and attribute values alike: markup escaped, and
 * control characters and bidirectional overrides shown (`\u{202e}`) so a reviewer sees the trick.
 */
export function escapeHtml(text: string): string {
  return printable(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Printable on A4 landscape, colours kept on paper (`print-color-adjust`), and sensitive scopes
 * told apart in greyscale too: bold, with a border, not by colour alone.
 */
const STYLE = `
:root { color-scheme: light; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: #1f2328; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; padding: 28px 32px 40px; max-width: 1280px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #d0d7de; }
h3 { font-size: 15px; margin: 0 0 8px; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
code, .id { font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; color: #57606a; }
.meta { color: #57606a; margin: 0 0 4px; }
.summary { margin: 10px 0 4px; font-weight: 600; }
.legend { margin: 4px 0 0; color: #57606a; }
table { border-collapse: collapse; width: 100%; }
thead { display: table-header-group; }
th { text-align: left; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #57606a; background: #f6f8fa; border-bottom: 2px solid #d0d7de; padding: 8px; }
td { vertical-align: top; padding: 8px; border-bottom: 1px solid #d8dee4; }
tr { break-inside: avoid; }
tr.removed td { color: #6e7781; }
.name { font-weight: 600; }
a { color: inherit; text-decoration: none; }
.scopes { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px; }
.scope { display: inline-block; font: 12px/1.5 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; padding: 0 6px; border: 1px solid #d0d7de; border-radius: 4px; background: #f6f8fa; white-space: nowrap; }
.scope.sensitive { background: #ffd7d5; border-color: #cf222e; color: #82071e; font-weight: 700; }
.none { color: #6e7781; font-style: italic; }
.status { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid; }
.status.active { background: #dafbe1; color: #116329; border-color: #4ac26b; }
.status.disabled { background: #fff8c5; color: #7d4e00; border-color: #d4a72c; }
.status.removed { background: #eaeef2; color: #57606a; border-color: #afb8c1; }
article { border: 1px solid #d0d7de; border-radius: 6px; padding: 12px 16px; margin: 0 0 12px; break-inside: avoid; }
ol.timeline { list-style: none; margin: 0; padding: 0 0 0 14px; border-left: 2px solid #d0d7de; }
ol.timeline > li { margin: 0 0 8px; position: relative; }
ol.timeline > li::before { content: ""; position: absolute; left: -20px; top: 6px; width: 10px; height: 10px; border-radius: 50%; background: #fff; border: 2px solid #8c959f; }
time { font-variant-numeric: tabular-nums; color: #57606a; margin-right: 6px; }
.change { font-weight: 700; }
.grant { margin-top: 4px; display: flex; gap: 6px; align-items: baseline; }
.grant > .label { color: #57606a; min-width: 60px; }
footer { margin-top: 32px; padding-top: 8px; border-top: 1px solid #d8dee4; color: #6e7781; font-size: 12px; }
@page { size: A4 landscape; margin: 12mm; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; } }
`;

const utc = (iso: string | undefined) => (iso ? `${shortUtc(iso)} UTC` : '');

function scopeList(scopes: readonly string[], sensitive: readonly string[]): string {
  if (scopes.length === 0) return '<span class="none">none</span>';
  const chips = scopes.map((s) =>
    sensitive.includes(s)
      ? `<li class="scope sensitive" title="sensitive scope">${escapeHtml(s)}</li>`
      : `<li class="scope">${escapeHtml(s)}</li>`,
  );
  return `<ul class="scopes">${chips.join('')}</ul>`;
}

const statusPill = (status: string) => `<span class="status ${escapeHtml(status)}">${escapeHtml(status)}</span>`;
const who = (id: string | undefined, name: string | undefined) => escapeHtml(person(id, name));
const anchor = (index: number) => `app-${index + 1}`;

function row(item: InventoryItem, index: number, grid: boolean): string {
  const last = item.last_change;
  const cells = [
    ...(grid ? [`<td><code>${escapeHtml(item.team_id ?? '')}</code></td>`] : []),
    `<td><a href="#${anchor(index)}"><span class="name">${escapeHtml(itemType(item))}</span><br><code>${escapeHtml(itemId(item))}</code></a>${
      item.channel_id ? `<br><code>channel ${escapeHtml(item.channel_id)}</code>` : ''
    }</td>`,
    `<td>${statusPill(item.status)}</td>`,
    `<td>${scopeList(item.scopes, item.sensitive_scopes)}</td>`,
    `<td>${utc(item.added_at)}<br>${who(item.added_by?.id, item.added_by?.name)}</td>`,
    `<td><span class="change">${escapeHtml(last.change_type)}</span>${last.reason ? ` (${escapeHtml(last.reason)})` : ''}<br>${utc(last.at)}<br>${who(last.user_id, last.user_name)}</td>`,
  ];
  return `<tr class="${escapeHtml(item.status)}">${cells.join('')}</tr>`;
}

function change(c: InventoryChange): string {
  const by = who(c.user_id, c.user_name);
  const parts = [
    `<time datetime="${escapeHtml(c.at)}">${utc(c.at)}</time> <span class="change">${escapeHtml(c.change_type)}</span>${by ? ` by ${by}` : ''}${
      c.reason ? ` (reason: ${escapeHtml(c.reason)})` : ''
    }`,
  ];
  if (c.scopes_added) {
    const added =
      c.scopes_added.length > 0 ? scopeList(c.scopes_added, sensitiveScopesOf(c.scopes_added)) : '<span class="none">nothing new</span>';
    parts.push(`<div class="grant"><span class="label">granted</span>${added}</div>`);
  }
  if (c.scopes_removed)
    parts.push(
      `<div class="grant"><span class="label">removed</span>${scopeList(c.scopes_removed, sensitiveScopesOf(c.scopes_removed))}</div>`,
    );
  return `<li>${parts.join('')}</li>`;
}

function timeline(item: InventoryItem, index: number): string {
  const team = item.team_id ? ` <code>team ${escapeHtml(item.team_id)}</code>` : '';
  const changes =
    item.timeline.length > 0 ? `<ol class="timeline">${item.timeline.map(change).join('')}</ol>` : '<p class="none">no changes kept</p>';
  return `<article id="${anchor(index)}"><h3><span class="name">${escapeHtml(itemType(item))}</span><code>${escapeHtml(itemId(item))}</code>${team}${statusPill(item.status)}</h3>${changes}</article>`;
}

/**
 * `inventory --html FILE`: one page a compliance team files as evidence of its third-party app
 * review. Self-contained (inline CSS, no script, no external asset; its Content-Security-Policy
 * forbids loading any), so it opens offline and reads the same years later.
 */
export function inventoryHtml(items: readonly InventoryItem[], options: HtmlOptions): string {
  const teams = options.teams.length > 0 ? [...options.teams] : teamsOf(items);
  const where = teams.length === 0 ? 'the workspace' : `${teams.length === 1 ? 'team' : 'teams'} ${teams.join(', ')}`;
  const generated = `${options.generatedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  const ordered = readingOrder(items);
  const grid = items.some((item) => item.team_id);
  const headers = [...(grid ? ['Team'] : []), 'App / integration', 'Status', 'Scopes held', 'Added (by)', 'Last change'];
  const body =
    ordered.length === 0
      ? '<p class="none">No apps or integrations: the integration log mentions none.</p>'
      : `<section><h2>Apps and integrations</h2><table><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
${ordered.map((item, i) => row(item, i, grid)).join('\n')}
</tbody></table></section>
<section><h2>Timelines: each change, what it granted, and who made it</h2>
${ordered.map(timeline).join('\n')}
</section>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(options.generator)}">
<title>Slack app inventory: ${escapeHtml(where)}, ${generated}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Slack apps and integrations with access to ${escapeHtml(where)}</h1>
<p class="meta">Generated ${generated} by ${escapeHtml(options.generator)} from Slack's integration log (team.integrationLogs).</p>
<p class="summary">${escapeHtml(summaryLine(items))}.</p>
<p class="legend"><span class="scope sensitive">sensitive</span> a sensitive scope: it reads messages, files or people's data, or administers the workspace.</p>
</header>
<main>
${body}
</main>
<footer>Times are UTC. Scopes held: granted by added, expanded and updated changes since the app was last removed. Each timeline keeps an app's most recent 50 changes.</footer>
</body>
</html>
`;
}
