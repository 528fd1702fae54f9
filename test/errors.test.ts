/**
 * One error model (issue 19 §3): every public error class carries its CLI exit code and its
 * `/readyz` reason, and both are the documented ones (README exit-code table, docs/operations.md
 * reasons). The expected values are written out here, not read from the code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { exitCodeOf, readinessReasonOf } from '../src/core/errors.js';
import { REASON_MESSAGES } from '../src/health/readiness.js';
import type { SyncSummary } from '../src/core/types.js';
import { ROOT } from './process-helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const OPERATIONS = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
const TROUBLESHOOTING = readFileSync(join(ROOT, 'docs', 'troubleshooting.md'), 'utf8');

const refusal = { kind: 'retryable', status: 'HTTP 503', fix: 'wait' } as const;
const CLEAN = { deadLettered: 0, rejectedByCollector: 0 } as SyncSummary;

/** Every concrete public error: an instance, the exit code and the readiness reason it must carry. */
const EXPECTED: Record<string, { make: () => Error; exitCode: number; reason: string }> = {
  ConfigError: { make: () => new api.ConfigError(['x']), exitCode: 2, reason: 'invalid_configuration' },
  HealthEndpointError: { make: () => new api.HealthEndpointError('x'), exitCode: 2, reason: 'health_endpoint_unusable' },
  SlackFatalError: { make: () => new api.SlackFatalError('invalid_auth', 'x'), exitCode: 3, reason: 'slack_needs_a_person' },
  SlackUnavailableError: { make: () => new api.SlackUnavailableError('x'), exitCode: 1, reason: 'slack_unavailable' },
  SlackPaginationLimitError: { make: () => new api.SlackPaginationLimitError('x'), exitCode: 1, reason: 'slack_pagination_limit' },
  SyncConsistencyError: { make: () => new api.SyncConsistencyError('x'), exitCode: 1, reason: 'last_pass_failed' },
  OtlpExportError: {
    make: () => new api.OtlpExportError('http://127.0.0.1:1/v1/logs', refusal),
    exitCode: 1,
    reason: 'collector_unavailable',
  },
  StoppedError: { make: () => new api.StoppedError('x'), exitCode: 1, reason: 'last_pass_failed' },
  NoInventoryError: { make: () => new api.NoInventoryError('x'), exitCode: 2, reason: 'last_pass_failed' },
  TeamsSyncError: {
    make: () => new api.TeamsSyncError({ T1: new api.SlackUnavailableError('x') }, CLEAN),
    exitCode: 1,
    reason: 'teams_failing',
  },
  CursorFileError: { make: () => new api.CursorFileError('x'), exitCode: 4, reason: 'cursor_unusable' },
  CursorLockedError: { make: () => new api.CursorLockedError('x'), exitCode: 4, reason: 'cursor_locked' },
  SpoolError: { make: () => new api.SpoolError('x'), exitCode: 4, reason: 'spool_unusable' },
  DeadLetterFileError: { make: () => new api.DeadLetterFileError('x'), exitCode: 4, reason: 'dead_letters_unusable' },
};
/** Bases, never thrown themselves. */
const BASES = ['ReceiverError', 'StateFileError'];

/** The README's exit-code table: code -> meaning. */
function readmeExitCodes(): Map<number, string> {
  const table = README.slice(README.indexOf('| exit code | meaning |'));
  const rows = new Map<number, string>();
  for (const line of table.split('\n').slice(2)) {
    const match = /^\| (\d) \| (.+) \|$/.exec(line);
    if (!match) break;
    rows.set(Number(match[1]), match[2]!);
  }
  return rows;
}

describe('the public error classes', () => {
  const exported = Object.entries(api)
    .filter(([, value]) => typeof value === 'function' && (value as { prototype?: unknown }).prototype instanceof Error)
    .map(([name]) => name)
    .sort();

  it('are the ones listed here (a new one needs its exit code and reason)', () => {
    expect(exported).toEqual([...Object.keys(EXPECTED), ...BASES].sort());
  });

  it.each(Object.entries(EXPECTED))(
    '%s carries its exit code and readiness reason, and is a ReceiverError',
    (name, { make, exitCode, reason }) => {
      const error = make() as api.ReceiverError;
      expect(error).toBeInstanceOf(api.ReceiverError);
      expect(error.name).toBe(name);
      expect(error.exitCode).toBe(exitCode);
      expect(error.readinessReason).toBe(reason);
      expect(exitCodeOf(error)).toBe(exitCode);
      expect(readinessReasonOf(error)).toBe(reason);
    },
  );

  it('every exit code is a row of the README table, and README "Library use" lists every class', () => {
    const rows = readmeExitCodes();
    expect([...rows.keys()]).toEqual([0, 1, 2, 3, 4, 5]);
    const libraryUse = README.slice(README.indexOf('## Library use'), README.indexOf('## Settings'));
    for (const [name, { exitCode }] of Object.entries(EXPECTED)) {
      expect(rows.has(exitCode), name).toBe(true);
      expect(libraryUse, name).toContain(`\`${name}\``);
    }
    for (const base of BASES) expect(libraryUse, base).toContain(`\`${base}\``);
  });

  it('every readiness reason has a message and a row in docs/operations.md', () => {
    const reasonsTable = OPERATIONS.slice(OPERATIONS.indexOf('| `reason` | when | what to do |'));
    for (const { reason } of Object.values(EXPECTED)) {
      expect(Object.hasOwn(REASON_MESSAGES, reason), reason).toBe(true);
      expect(reasonsTable, reason).toContain(`\`${reason}\``);
    }
  });

  it('the state files are one family (exit code 4), each with a reason of its own', () => {
    const family = ['CursorFileError', 'CursorLockedError', 'SpoolError', 'DeadLetterFileError'];
    const reasons = family.map((name) => {
      const error = EXPECTED[name]!.make();
      expect(error, name).toBeInstanceOf(api.StateFileError);
      return (error as api.StateFileError).readinessReason;
    });
    expect(new Set(reasons).size).toBe(family.length);
  });

  it('an error that is not ours: exit code 1, last_pass_failed', () => {
    expect(exitCodeOf(new Error('x'))).toBe(1);
    expect(readinessReasonOf(new TypeError('x'))).toBe('last_pass_failed');
  });
});

describe('TeamsSyncError: the exit code that needs the most attention', () => {
  /** The order docs/troubleshooting.md gives ("in this order: 3, 4, 1, 5, 0"). */
  const order = /in this order: ([\d, ]+)/
    .exec(TROUBLESHOOTING)![1]!
    .split(',')
    .map((c) => Number(c.trim()));
  /** One team's outcome with this code: a failed team's error, or (5, 0) the other teams' summary. */
  const withCode = (code: number): { errors: Record<string, Error>; summary: SyncSummary } => {
    if (code === 5) return { errors: {}, summary: { deadLettered: 1, rejectedByCollector: 0 } as SyncSummary };
    if (code === 0) return { errors: {}, summary: CLEAN };
    const name = Object.keys(EXPECTED).find((n) => n !== 'TeamsSyncError' && EXPECTED[n]!.exitCode === code)!;
    return { errors: { [`T${code}`]: EXPECTED[name]!.make() }, summary: CLEAN };
  };

  it('reads the documented order', () => {
    expect(order).toEqual([3, 4, 1, 5, 0]);
  });

  // A TeamsSyncError exists only when a team failed: every pair holds at least one failed team.
  const pairs = order
    .flatMap((a, i) => order.slice(i + 1).map((b) => [a, b] as const))
    .filter(([a, b]) => (a !== 5 && a !== 0) || (b !== 5 && b !== 0));

  it.each(pairs)('%i wins over %i', (a, b) => {
    const one = withCode(a);
    const other = withCode(b);
    const summary = one.summary === CLEAN ? other.summary : one.summary;
    expect(new api.TeamsSyncError({ ...one.errors, ...other.errors }, summary).exitCode).toBe(a);
  });
});
