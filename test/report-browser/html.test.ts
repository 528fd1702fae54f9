/**
 * `inventory --html`: what a person sees, in a real headless Chromium (Debian's package, installed
 * by scripts/test-report.sh): the rendered text and a screenshot, never the HTML source. The page
 * is opened from a file with every other request failed and recorded, so it must read offline.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryHtml } from '../../src/inventory/report/html.js';
import type { InventoryItem } from '../../src/inventory/types.js';
import { GENERATED_AT, GENERATOR, GRID_ITEMS, ITEMS } from '../report-items.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The highlight of a sensitive scope, as the legend shows it: a light red, #ffd7d5. */
const HIGHLIGHT = [0xff, 0xd7, 0xd5] as const;
const dir = mkdtempSync(join(tmpdir(), 'inventory-report-'));

let browser: Browser;
beforeAll(async () => {
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--hide-scrollbars'],
  });
});
afterAll(async () => {
  await browser?.close();
});

interface Opened {
  page: Page;
  /** Every request but the page's own: none may happen. */
  attempted: string[];
  dialogs: string[];
  /** Errors the page logged: a load its Content-Security-Policy blocked shows here, not as a request. */
  errors: string[];
}

/** Writes the report for `items` to a file and opens it as a person would, offline, scripts off. */
async function open(name: string, items: InventoryItem[], teams: string[] = [], media: 'screen' | 'print' = 'screen'): Promise<Opened> {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, inventoryHtml(items, { generatedAt: GENERATED_AT, teams, generator: GENERATOR }));
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.setJavaScriptEnabled(false);
  await page.emulateMediaType(media);
  const attempted: string[] = [];
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.url() === url) return void request.continue();
    attempted.push(request.url());
    void request.abort('internetdisconnected');
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, attempted, dialogs, errors };
}

const innerText = (page: Page, selector: string) =>
  page.$$eval(selector, (els) => els.map((el) => (el as unknown as { innerText: string }).innerText));

/** The boxes (CSS pixels; the page is never scrolled) of the innermost elements whose whole text is `text`. */
async function boxesOf(page: Page, text: string): Promise<{ x: number; y: number; width: number; height: number }[]> {
  return page.$$eval(
    'body *',
    (els, wanted) =>
      els
        .filter((el) => el.textContent === wanted && el.children.length === 0)
        .map((el) => {
          const r = el.getBoundingClientRect();
          return { x: r.x, y: r.y, width: r.width, height: r.height };
        }),
    text,
  );
}

async function screenshot(page: Page, name: string): Promise<PNG> {
  const path = join(dir, `${name}.png`);
  const bytes = await page.screenshot({ fullPage: true, path });
  process.stdout.write(`screenshot: ${path}\n`);
  return PNG.sync.read(Buffer.from(bytes));
}

/** Share of the pixels in `box` painted exactly `rgb`. */
function share(png: PNG, box: { x: number; y: number; width: number; height: number }, rgb: readonly number[]): number {
  let hits = 0;
  let all = 0;
  for (let y = Math.ceil(box.y); y < Math.floor(box.y + box.height); y++) {
    for (let x = Math.ceil(box.x); x < Math.floor(box.x + box.width); x++) {
      const i = (y * png.width + x) * 4;
      all++;
      if (png.data[i] === rgb[0] && png.data[i + 1] === rgb[1] && png.data[i + 2] === rgb[2]) hits++;
    }
  }
  return all === 0 ? 0 : hits / all;
}

const whole = (png: PNG) => ({ x: 0, y: 0, width: png.width, height: png.height });

describe('the HTML report in Chromium', () => {
  let opened: Opened;
  let png: PNG;
  beforeAll(async () => {
    opened = await open('inventory', ITEMS);
    png = await screenshot(opened.page, 'inventory');
  });

  it('opens offline: no request but the file itself, no script run', () => {
    expect(opened.attempted).toEqual([]);
    expect(opened.dialogs).toEqual([]);
    expect(opened.errors).toEqual([]);
  });

  it('shows the title, the generation time and every app by name, hostile names as plain text', async () => {
    const text = (await innerText(opened.page, 'body'))[0]!;
    expect(text).toContain('Slack apps and integrations with access to the workspace');
    expect(text).toContain('Generated 2026-12-07 13:20:05 UTC by slack-integration-logs-receiver 0.1.0');
    for (const name of ['GitHub', 'Google Calendar', 'Todo Bot', 'Pulse Survey', '<script>alert("pwned")</script> & "Co", Ltd']) {
      expect(text).toContain(name);
    }
    expect(text).toContain('mallory\\u{1b}[2J\\u{202e}exe.');
    expect(await opened.page.title()).toBe('Slack app inventory: the workspace, 2026-12-07 13:20:05 UTC');
  });

  it('has one table row per app, in reading order, with its status and scopes', async () => {
    const rows = await innerText(opened.page, 'tbody tr');
    expect(rows.map((row) => row.split('\n')[0])).toEqual([ITEMS[4]!.app_type, 'GitHub', 'Google Calendar', 'Todo Bot', 'Pulse Survey']);
    const github = rows[1]!.replace(/\s+/g, ' ');
    expect(github).toContain('active');
    for (const scope of ['chat:write', 'channels:read', 'commands', 'channels:history', 'users:read.email'])
      expect(github).toContain(scope);
    expect(github).toContain('billy (U2345BCDE)');
  });

  it("shows each app's timeline oldest first: what each change granted and who made it", async () => {
    const articles = (await innerText(opened.page, 'article')).map((a) => a.replace(/\s+/g, ' '));
    const github = articles.find((a) => a.startsWith('GitHub'))!;
    expect(github).toMatch(
      /2026-12-04 21:00 UTC added by billy \(U2345BCDE\) granted chat:write channels:read commands .*2026-12-05 19:00 UTC expanded by billy \(U2345BCDE\) granted channels:history users:read\.email/,
    );
    const survey = articles.find((a) => a.startsWith('Pulse Survey'))!;
    expect(survey).toMatch(
      /added by johnny .* expanded by johnny \(U1234ABCD\) granted nothing new .* removed by it-admin \(U9999ADMIN\) removed chat:write files:read admin\.users:read/,
    );
    expect(articles).toHaveLength(ITEMS.length);
  });

  it('paints every sensitive scope in the highlight colour, and no other scope', async () => {
    for (const scope of ['channels:history', 'users:read.email', 'im:history', 'files:read', 'admin.apps:write', 'admin.users:read']) {
      const boxes = await boxesOf(opened.page, scope);
      expect(boxes.length, scope).toBeGreaterThan(0);
      for (const box of boxes) expect(share(png, box, HIGHLIGHT), scope).toBeGreaterThan(0.4);
    }
    for (const scope of ['chat:write', 'channels:read', 'commands', 'incoming-webhook', 'reactions:read']) {
      for (const box of await boxesOf(opened.page, scope)) expect(share(png, box, HIGHLIGHT), scope).toBe(0);
    }
  });

  it('is not blank', () => {
    expect(png.width).toBe(1280);
    expect(png.height).toBeGreaterThan(900);
    expect(1 - share(png, whole(png), [0xff, 0xff, 0xff])).toBeGreaterThan(0.05);
  });
});

describe('the HTML report, other inventories', () => {
  it('names the Grid teams and keeps the highlight when printed', async () => {
    const { page, attempted } = await open('grid', GRID_ITEMS, [], 'print');
    expect(attempted).toEqual([]);
    expect(await page.title()).toBe('Slack app inventory: teams T0001ALPHA, T0002BETA, 2026-12-07 13:20:05 UTC');
    const rows = await innerText(page, 'tbody tr');
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(['T0001ALPHA', 'T0001ALPHA', 'T0002BETA']);
    const png = await screenshot(page, 'grid-print');
    for (const box of await boxesOf(page, 'im:history')) expect(share(png, box, HIGHLIGHT)).toBeGreaterThan(0.4);
    const pdf = await page.pdf({ printBackground: true });
    expect(Buffer.from(pdf).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('says the inventory is empty, with no table', async () => {
    const { page, attempted } = await open('empty', [], ['T0123ABCD']);
    expect(attempted).toEqual([]);
    const text = (await innerText(page, 'body'))[0]!;
    expect(text).toContain('Slack apps and integrations with access to team T0123ABCD');
    expect(text).toContain('No apps or integrations: the integration log mentions none.');
    expect(await page.$$('table')).toHaveLength(0);
  });
});
