import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * Builds the tests' Collector once (scripts/build-collector.sh: the official builder, cached by a
 * hash of the manifest, so a rebuild happens only when collector/builder-config.yaml changes) and
 * hands its path to the tests as `inject('otelcolBinary')`.
 */
export default function setup(project: TestProject): void {
  const script = join(import.meta.dirname, '..', '..', 'scripts', 'build-collector.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  const binary = out.trim().split('\n').pop()!;
  project.provide('otelcolBinary', binary);
}

declare module 'vitest' {
  export interface ProvidedContext {
    otelcolBinary: string;
  }
}
