import type { z } from 'zod';
import { expectation, itemProblems, KINDS } from './kinds.js';
import type { Setting } from './settings.js';

export type Env = Record<string, string | undefined>;

/** Where a setting's value came from. */
export interface Source {
  value: unknown;
  /** The variable a problem names: the one set, else the general one (for an option). */
  name: string;
  /** Read from the general variable of a signal setting (`OTEL_EXPORTER_OTLP_ENDPOINT`: a base URL). */
  general: boolean;
}

/**
 * The one precedence rule (settings.ts): the option given to the library wins; then the first
 * variable of the row that is set, the signal-specific one before the general one; blank counts as
 * unset. Absent: the default applies.
 */
function sourceOf(row: Setting, given: unknown, env: Env): Source | undefined {
  if (given !== undefined) return { value: given, name: row.env.at(-1)!, general: false };
  for (const [index, name] of row.env.entries()) {
    const text = env[name];
    if (text === undefined || text.trim() === '') continue;
    // The token as given: the resolver trims it and says what is wrong with it, never echoing it.
    return { value: row.kind === 'secret' ? text : text.trim(), name, general: index > 0 };
  }
  return undefined;
}

/** Reads settings from the options and the environment, and keeps every problem, one line each. */
export class SettingsReader {
  readonly problems: string[] = [];
  private readonly given: Partial<Record<string, unknown>>;
  private readonly filters: Partial<Record<string, unknown>>;

  constructor(
    given: object,
    private readonly env: Env,
  ) {
    this.given = { ...given };
    this.filters = { ...(typeof this.given.filters === 'object' ? this.given.filters : {}) };
  }

  source(row: Setting): Source | undefined {
    return sourceOf(row, row.kind === 'filter' ? this.filters[row.filter!] : this.given[row.option], this.env);
  }

  /**
   * The setting's value, parsed by its kind's schema and checked by `check` (which returns the end
   * of each problem sentence); undefined when unset, or invalid (the problem is kept).
   */
  read<T>(row: Setting, schema: z.ZodType<T>, check?: (value: T) => string | undefined): T | undefined {
    const source = this.source(row);
    return source && this.parse(row, source, schema, check);
  }

  /** As `read`, the table's default when unset or invalid. */
  readOrDefault<T>(row: Setting, schema: z.ZodType<T>, check?: (value: T) => string | undefined): T {
    // A default the schema refuses is a bug of the table: a test parses each.
    return this.read(row, schema, check) ?? schema.parse(row.default);
  }

  /**
   * A list setting's items (the default's when unset), each checked against the row's choices (in
   * any case: they come back lower-case) or form; `check` sees the whole list.
   */
  list(row: Setting, check?: (items: string[]) => string | undefined): string[] {
    const source = this.source(row);
    const items = (source && this.parse(row, source, KINDS.list, check)) ?? KINDS.list.parse(row.default ?? '');
    if (source) this.problems.push(...itemProblems(row, source.name, items));
    return row.choices ? [...new Set(items.map((item) => item.toLowerCase()))] : items;
  }

  parse<T>(row: Setting, source: Source, schema: z.ZodType<T>, check?: (value: T) => string | undefined): T | undefined {
    const parsed = schema.safeParse(source.value);
    let problem = `is not ${expectation(row)}${row.hint ? ` (${row.hint})` : ''}`;
    if (parsed.success) {
      const refused = check?.(parsed.data);
      if (refused === undefined) return parsed.data;
      problem = refused;
    }
    // A token is never echoed, not even a wrong one.
    const shown = row.kind === 'secret' ? '' : ` ${JSON.stringify(String(source.value))}`;
    this.problems.push(`${source.name}${shown} ${problem}`);
    return undefined;
  }
}
