/**
 * One settings table (src/config/settings.ts): the README's "Settings" table, `--help` (through
 * ENV_VARS) and the environment parser all follow it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, optionsFromEnv } from '../src/config/config.js';
import { SETTINGS, type Setting } from '../src/config/settings.js';

const ROOT = join(import.meta.dirname, '..');
const settings = SETTINGS as readonly Setting[];

/** The README row a setting must have: variable(s), option, default, range, meaning. */
function readmeRow(s: Setting): string {
  const [first, ...rest] = s.env;
  const variable = rest.length === 0 ? `\`${first}\`` : `\`${rest.at(-1)}\` (\`${first}\` wins)`;
  const option = s.kind === 'filter' ? `\`filters.${s.filter}\`` : `\`${s.option}\``;
  const fallback = s.default !== undefined ? `\`${s.default}\`` : s.option === 'token' ? 'required' : 'unset';
  const range = s.choices
    ? s.choices.map((c) => `\`${c}\``).join(', ')
    : s.min !== undefined
      ? s.kind === 'duration'
        ? `${s.min}s to ${s.max! / 3600}h`
        : `${s.min} to ${s.max}`
      : '';
  return `| ${variable} | ${option} | ${fallback} | ${range} | ${s.meaning} |`;
}

describe('the settings table', () => {
  it("is the README's settings table, row for row", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Settings');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toEqual(settings.map(readmeRow));
  });

  it('names every variable once, and --help lists each with its default', () => {
    const names = settings.flatMap((s) => s.env);
    expect(new Set(names).size).toBe(names.length);
    const help = ENV_VARS.map((v) => v.name).join('\n');
    for (const name of names) expect(help).toContain(name);
    expect(ENV_VARS.find((v) => v.name === 'SLACK_POLL_INTERVAL')?.default).toBe('60s');
  });

  it('the parser reads every variable of the table into its option (first one set wins)', () => {
    const samples: Record<string, string> = {};
    for (const s of settings) for (const name of s.env) samples[name] = s.kind === 'list' || s.kind === 'pairs' ? 'a=b' : `v-${name}`;
    const options = optionsFromEnv(samples) as Record<string, unknown>;
    for (const s of settings) {
      if (s.kind === 'base-url') continue; // the logs endpoint wins over the base URL
      if (s.standalone) {
        expect(options, s.env[0]).not.toHaveProperty(s.option); // read by the self-metrics set-up (test/self-telemetry.test.ts)
        continue;
      }
      const value = s.kind === 'filter' ? (options.filters as Record<string, string>)[s.filter!] : options[s.option];
      const expected = s.kind === 'list' ? ['a=b'] : s.kind === 'pairs' ? { a: 'b' } : `v-${s.env[0]}`;
      expect(value, s.env[0]).toEqual(expected);
    }
  });
});
