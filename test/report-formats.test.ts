/**
 * The inventory's report formats (src/inventory/report/) against golden files checked by eye
 * (test/golden/report/), plus expectations written out here: quoting, escaping, widths, colour.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inventoryCsv } from '../src/inventory/report/csv.js';
import { inventoryHtml } from '../src/inventory/report/html.js';
import { inventoryJson } from '../src/inventory/report/json.js';
import { inventoryTable } from '../src/inventory/report/table.js';
import { GENERATED_AT, GENERATOR, GRID_ITEMS, ITEMS } from './report-items.js';

const golden = (name: string) => readFileSync(new URL(`./golden/report/${name}`, import.meta.url), 'utf8');
const html = (items = ITEMS, teams: string[] = []) => inventoryHtml(items, { generatedAt: GENERATED_AT, teams, generator: GENERATOR });
const ESC = '\u001b';

describe('table', () => {
  it('matches its golden files: a single workspace at 100 and 80 columns, Grid at 80', () => {
    expect(inventoryTable(ITEMS, { width: 80, color: false })).toBe(golden('table-80.txt'));
    expect(inventoryTable(ITEMS, { width: 100, color: false })).toBe(golden('table-100.txt'));
    expect(inventoryTable(GRID_ITEMS, { width: 80, color: false })).toBe(golden('table-grid-80.txt'));
  });

  it.each([80, 100, 160])('fits a %i-column terminal', (width) => {
    const lines = inventoryTable(ITEMS, { width, color: false }).split('\n');
    expect(lines.filter((line) => [...line].length > width)).toEqual([]);
  });

  it('marks sensitive scopes with * and says what * means', () => {
    const out = inventoryTable(ITEMS, { width: 200, color: false });
    expect(out).toContain('*channels:history *users:read.email');
    expect(out).toContain('chat:write channels:read commands *channels:history');
    expect(out).toMatch(/^\* sensitive scope/m);
  });

  it('has no escape codes without colour, even when a name from Slack carries one', () => {
    const out = inventoryTable(ITEMS, { width: 100, color: false });
    expect(out).not.toContain(ESC);
    expect(out).not.toContain('\u202e');
    expect(out).toContain('mallory\\u{1b}[2J\\u{202');
  });

  it('paints sensitive scopes bold red in a terminal', () => {
    const out = inventoryTable(ITEMS, { width: 200, color: true });
    expect(out).toContain(`${ESC}[1;31m*im:history${ESC}[0m`);
    expect(out).toContain(`chat:write ${ESC}[1;31m*im:history`);
    expect(out).not.toContain(`${ESC}[1;31mchat:write`);
  });

  it('says so when the inventory is empty', () => {
    expect(inventoryTable([], { width: 80, color: false })).toBe('No apps or integrations: the integration log mentions none.\n');
  });

  it('names each team above its apps on Enterprise Grid, and no team for a single workspace', () => {
    const grid = inventoryTable(GRID_ITEMS, { width: 100, color: false }).split('\n');
    expect(grid.filter((line) => line.startsWith('TEAM '))).toEqual(['TEAM T0001ALPHA', 'TEAM T0002BETA']);
    expect(grid.indexOf('TEAM T0002BETA')).toBeLessThan(grid.findIndex((line) => line.startsWith('GitHub')));
    expect(grid.indexOf('TEAM T0002BETA')).toBeGreaterThan(grid.findIndex((line) => line.startsWith('Todo Bot')));
    expect(inventoryTable(ITEMS, { width: 100, color: false })).not.toMatch(/^TEAM/m);
  });
});

describe('json', () => {
  it('is one array of the items, exactly', () => {
    expect(JSON.parse(inventoryJson(ITEMS))).toEqual(ITEMS);
    expect(JSON.parse(inventoryJson(GRID_ITEMS)).map((i: { team_id: string }) => i.team_id)).toEqual([
      'T0002BETA',
      'T0001ALPHA',
      'T0001ALPHA',
    ]);
    expect(inventoryJson([])).toBe('[]\n');
  });

  it('matches its golden file', () => {
    expect(inventoryJson(ITEMS)).toBe(golden('inventory.json'));
  });
});

describe('csv', () => {
  const HEADER =
    'team_id,app_id,service_id,app_type,service_type,status,scopes,sensitive_scopes,added_by_id,added_by_name,added_at,' +
    'last_change_type,last_change_user_id,last_change_user_name,last_change_at,last_change_reason,channel_id';

  it('matches its golden file', () => {
    expect(inventoryCsv(ITEMS)).toBe(golden('inventory.csv'));
  });

  it('is a header row alone for an empty inventory, CRLF-terminated', () => {
    expect(inventoryCsv([])).toBe(`${HEADER}\r\n`);
  });

  it('quotes commas, quotes and line breaks (RFC 4180), joins arrays with a space, defuses formulas', () => {
    const rows = inventoryCsv(ITEMS).split('\r\n');
    expect(rows[0]).toBe(HEADER);
    expect(rows[5]).toBe(
      ',A0666EVIL,,"<script>alert(""pwned"")</script> & ""Co"", Ltd",,active,files:read admin.apps:write reactions:read,files:read admin.apps:write,' +
        `U0666EVIL,"'=HYPERLINK(""http://evil.example/"",""x"")",2026-12-06T22:00:00.000Z,expanded,U0666EVIL,mallory${ESC}[2J\u202eexe.,` +
        '2026-12-07T01:00:00.000Z,"said ""ok"", then\nleft",',
    );
  });

  it('fills team_id on Enterprise Grid', () => {
    expect(
      inventoryCsv(GRID_ITEMS)
        .split('\r\n')
        .slice(1, -1)
        .map((row) => row.split(',')[0]),
    ).toEqual(['T0002BETA', 'T0001ALPHA', 'T0001ALPHA']);
  });
});

describe('html', () => {
  it('matches its golden file', () => {
    expect(html()).toBe(golden('inventory.html'));
  });

  it('escapes everything from Slack and loads nothing', () => {
    const page = html();
    expect(page).not.toContain('<script');
    expect(page).toContain('&#60;script&#62;alert(&#34;pwned&#34;)&#60;/script&#62; &#38; &#34;Co&#34;, Ltd');
    expect(page).toContain('mallory\\u{1b}[2J\\u{202e}exe.');
    expect(page).not.toMatch(/\b(src|srcset)=|url\(|@import|<link|https?:\/\/(?!evil)/);
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('names the teams and the generation time in the title', () => {
    expect(html(GRID_ITEMS)).toContain('<title>Slack app inventory: teams T0001ALPHA, T0002BETA, 2026-12-07 13:20:05 UTC</title>');
    expect(html(ITEMS, ['T0123ABCD'])).toContain('<title>Slack app inventory: team T0123ABCD, 2026-12-07 13:20:05 UTC</title>');
    expect(html(ITEMS)).toContain('<title>Slack app inventory: the workspace, 2026-12-07 13:20:05 UTC</title>');
  });

  it('says so when the inventory is empty, with no table', () => {
    const page = html([], ['T0123ABCD']);
    expect(page).toContain('No apps or integrations: the integration log mentions none.');
    expect(page).not.toContain('<table');
    expect(page).toBe(golden('empty.html'));
  });
});
