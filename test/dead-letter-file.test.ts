/**
 * The dead-letter file on its own (src/state/dead-letter-file.ts), against real files in a temp
 * directory: where it lives, what an append writes (once per uid, never after a torn line), what
 * `count` and `read` see, how a damaged line is named, and what `replace` leaves. Expected file
 * contents are written out by hand here.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterFileError } from '../src/core/errors.js';
import { DeadLetterFile, deadLetterFileFor, type DeadLetter } from '../src/state/dead-letter-file.js';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dead-letter-file-'));
  path = join(dir, 'cursor.json.dead-letters.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A letter whose every field is set; `n` makes its uid and entry its own. */
const letter = (n: number): DeadLetter => ({
  time: '2026-01-02T03:04:05.000Z',
  'log.record.uid': `${n}`.repeat(32).slice(0, 32),
  status: 'HTTP 400 Bad Request',
  message: `invalid record ${n}`,
  entry: { app_id: `A${n}`, date: 1_700_000_000 + n, change_type: 'added' },
  occurrence: 0,
  fetchedAt: '2026-01-02T03:04:00.000Z',
});

/** The JSON line of `letter(n)`, spelled out field by field in the order the file keeps. */
const line = (n: number): string =>
  `{"time":"2026-01-02T03:04:05.000Z","log.record.uid":"${`${n}`.repeat(32).slice(0, 32)}","status":"HTTP 400 Bad Request",` +
  `"message":"invalid record ${n}","entry":{"app_id":"A${n}","date":${1_700_000_000 + n},"change_type":"added"},` +
  `"occurrence":0,"fetchedAt":"2026-01-02T03:04:00.000Z"}\n`;

const text = () => readFileSync(path, 'utf8');
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );

describe('deadLetterFileFor', () => {
  it.each([
    ['/state/cursor.json', '/state/cursor.json.dead-letters.jsonl'],
    ['/state/cursor.T0AAA.json', '/state/cursor.T0AAA.json.dead-letters.jsonl'],
    ['relative/acme.prod', 'relative/acme.prod.dead-letters.jsonl'],
  ])('%s -> %s (beside the cursor, its whole name kept)', (cursor, file) => {
    expect(deadLetterFileFor(cursor)).toBe(file);
  });
});

describe('append', () => {
  it('creates the file, mode 0600, one JSON line per letter in the order given', async () => {
    await new DeadLetterFile(path).append([letter(1), letter(2)]);
    expect(text()).toBe(line(1) + line(2));
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('adds to what is there', async () => {
    writeFileSync(path, line(1));
    await new DeadLetterFile(path).append([letter(2)]);
    expect(text()).toBe(line(1) + line(2));
  });

  it('skips letters whose log.record.uid is in the file already (a pass that meets the same records again)', async () => {
    writeFileSync(path, line(1));
    await new DeadLetterFile(path).append([letter(1), letter(3), letter(1)]);
    expect(text()).toBe(line(1) + line(3));
  });

  it('with nothing new, leaves the file as it was (not even created)', async () => {
    const file = new DeadLetterFile(path);
    await file.append([]);
    expect(existsSync(path)).toBe(false);
    writeFileSync(path, line(1));
    await file.append([letter(1)]);
    expect(text()).toBe(line(1));
  });

  it('cuts off a torn last line (an append that never finished) before it writes', async () => {
    writeFileSync(path, `${line(1)}{"time":"2026-01-02T03:04:05.000Z","log.rec`);
    await new DeadLetterFile(path).append([letter(2)]);
    expect(text()).toBe(line(1) + line(2));
  });

  it('that cannot write: one line naming the file, and that nothing past these records counted as delivered', async () => {
    const missingDir = join(dir, 'gone', 'cursor.json.dead-letters.jsonl');
    const error = await failure(new DeadLetterFile(missingDir).append([letter(1)]));
    expect(error).toBeInstanceOf(DeadLetterFileError);
    expect(error.message).toMatch(
      new RegExp(`^cannot write dead-letter file ${missingDir}: .*ENOENT.*; nothing past these records was counted as delivered$`),
    );
    expect(error.message).not.toContain('\n');
  });

  it('whose path is a directory: cannot read it, says so', async () => {
    mkdirSync(path);
    const error = await failure(new DeadLetterFile(path).append([letter(1)]));
    expect(error).toBeInstanceOf(DeadLetterFileError);
    expect(error.message).toMatch(new RegExp(`^cannot read dead-letter file ${path}: .*EISDIR`));
  });
});

describe('count', () => {
  it.each([
    ['no file', undefined, 0],
    ['two letters', () => line(1) + line(2), 2],
    ['blank lines between', () => `\n${line(1)}\n   \n${line(2)}`, 2],
    ['a torn last line (not counted: the cursor never moved past it)', () => `${line(1)}{"time":`, 1],
    ['lines that are not letters (counted: a damaged line must not stop delivery)', () => 'not json\n{"a":1}\n', 2],
  ])('%s: %i', async (_name, content, expected) => {
    if (content) writeFileSync(path, content());
    expect(await new DeadLetterFile(path).count()).toBe(expected);
  });
});

describe('read', () => {
  it('no file: no letters', async () => {
    expect(await new DeadLetterFile(path).read()).toEqual([]);
  });

  it('the letters in file order, without a torn last line', async () => {
    writeFileSync(path, `${line(2)}${line(1)}{"time":`);
    expect(await new DeadLetterFile(path).read()).toEqual([letter(2), letter(1)]);
  });

  it('a line that is not JSON: named by its number, with the fix', async () => {
    writeFileSync(path, `${line(1)}{"time": oops\n`);
    const error = await failure(new DeadLetterFile(path).read());
    expect(error).toBeInstanceOf(DeadLetterFileError);
    expect(error.message).toBe(`dead-letter file ${path} line 2 is not JSON: fix or remove that line`);
  });

  it.each<[string, (l: Record<string, unknown>) => unknown, string]>([
    ['no entry', ({ entry: _e, ...rest }) => rest, 'entry'],
    ['entry null', (l) => ({ ...l, entry: null }), 'entry'],
    ['a numeric uid', (l) => ({ ...l, 'log.record.uid': 7 }), 'log.record.uid'],
    ['occurrence as text', (l) => ({ ...l, occurrence: '0' }), 'occurrence'],
    ['occurrence 1.5', (l) => ({ ...l, occurrence: 1.5 }), 'occurrence'],
    ['no fetchedAt', ({ fetchedAt: _f, ...rest }) => rest, 'fetchedAt'],
    ['neither occurrence nor fetchedAt', ({ occurrence: _o, fetchedAt: _f, ...rest }) => rest, 'occurrence, fetchedAt'],
    ['scopes.added as text', (l) => ({ ...l, 'slack.integration.scopes.added': 'files:read' }), 'slack.integration.scopes.added'],
    [
      'a number among scopes.removed',
      (l) => ({ ...l, 'slack.integration.scopes.removed': ['chat:write', 1] }),
      'slack.integration.scopes.removed',
    ],
    ['neighbourDate as text', (l) => ({ ...l, neighbourDate: '1700000000' }), 'neighbourDate'],
    ['a JSON array', () => [], 'entry, log.record.uid, occurrence, fetchedAt'],
    ['JSON null', () => null, 'entry, log.record.uid, occurrence, fetchedAt'],
  ])('a line with %s: names the line and the fields', async (_name, damage, fields) => {
    writeFileSync(path, `${JSON.stringify(damage({ ...letter(1) }))}\n`);
    const error = await failure(new DeadLetterFile(path).read());
    expect(error).toBeInstanceOf(DeadLetterFileError);
    expect(error.message).toBe(`dead-letter file ${path} line 1 has no valid ${fields}: fix or remove that line`);
  });

  it('a letter with the optional scopes and neighbour date is read as written', async () => {
    const full = {
      ...letter(5),
      'slack.integration.scopes.added': [],
      'slack.integration.scopes.removed': ['im:history'],
      neighbourDate: 1_700_000_004,
    };
    writeFileSync(path, `${JSON.stringify(full)}\n`);
    expect(await new DeadLetterFile(path).read()).toEqual([full]);
  });

  it('a letter without the optional message is read as written', async () => {
    const { message: _m, ...bare } = letter(4);
    writeFileSync(path, `${JSON.stringify(bare)}\n`);
    expect(await new DeadLetterFile(path).read()).toEqual([bare]);
  });
});

describe('replace', () => {
  it('keeps exactly the letters given, mode 0600, and leaves no temp file beside it', async () => {
    writeFileSync(path, line(1) + line(2) + line(3));
    await new DeadLetterFile(path).replace([letter(3), letter(1)]);
    expect(text()).toBe(line(3) + line(1));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['cursor.json.dead-letters.jsonl']);
  });

  it('with no letters left, removes the file (and does not mind when there is none)', async () => {
    writeFileSync(path, line(1));
    const file = new DeadLetterFile(path);
    await file.replace([]);
    expect(existsSync(path)).toBe(false);
    await file.replace([]);
    expect(existsSync(path)).toBe(false);
  });

  it('that cannot write: one line naming the file', async () => {
    const missingDir = join(dir, 'gone', 'cursor.json.dead-letters.jsonl');
    const error = await failure(new DeadLetterFile(missingDir).replace([letter(1)]));
    expect(error).toBeInstanceOf(DeadLetterFileError);
    expect(error.message).toMatch(new RegExp(`^cannot rewrite dead-letter file ${missingDir}: .*ENOENT`));
    expect(readdirSync(dir)).toEqual([]);
  });
});
