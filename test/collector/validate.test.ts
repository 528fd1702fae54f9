import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ROOT } from '../process-helpers.js';
import { SHIPPED_CONFIGS, readConfig, withoutDatadog, writeConfig } from './shipped-config.js';

const run = promisify(execFile);
const binary = inject('otelcolBinary');
const dir = mkdtempSync(join(tmpdir(), 'collector-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `<collector> validate --config=<file>`: exit code and output (it opens no ports). */
async function validate(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(binary, ['validate', `--config=${file}`], { env: { PATH: process.env.PATH! } });
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, output: err.stdout + err.stderr };
  }
}

describe('the real Collector (v0.161.0) accepts every shipped Collector configuration', () => {
  it('otel-collector.yaml, validated as a copy with its datadog exporter taken out (it cannot be built here)', async () => {
    const cfg = readConfig('otel-collector.yaml');
    expect(Object.keys(cfg.exporters), 'the shipped file has the datadog exporter').toContain('datadog');
    expect(cfg.service.pipelines.metrics.exporters, 'the shipped metrics pipeline sends to Datadog too').toContain('datadog');
    const copy = withoutDatadog(cfg);
    expect(Object.keys(copy.service.pipelines)).toEqual(['logs/loki', 'metrics']);
    expect(copy.service.pipelines.metrics.exporters).toEqual(['prometheus']);
    const { code, output } = await validate(writeConfig(dir, 'otel-collector.without-datadog.yaml', copy));
    expect(code, output).toBe(0);
    expect(output, 'no deprecated component names').not.toMatch(/deprecated/i);
  });

  it('examples/compose/otel-collector.loki-only.yaml, as shipped', async () => {
    const { code, output } = await validate(join(ROOT, 'examples/compose/otel-collector.loki-only.yaml'));
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/deprecated/i);
  });

  it('validate is not a rubber stamp: it refuses an unknown component and a wrong setting', async () => {
    const cfg = withoutDatadog(readConfig('otel-collector.yaml'));
    const unknown = structuredClone(cfg);
    unknown.exporters['nosuchexporter/x'] = {};
    unknown.service.pipelines['logs/loki'].exporters.push('nosuchexporter/x');
    expect((await validate(writeConfig(dir, 'unknown.yaml', unknown))).code).not.toBe(0);
    const wrong = structuredClone(cfg);
    wrong.exporters['otlp_http/loki'].sending_queue.num_consumers = 0;
    const refused = await validate(writeConfig(dir, 'wrong.yaml', wrong));
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('num_consumers');
  });

  it('those are all the Collector configurations in the repository', async () => {
    // Every tracked YAML file with `service:` and a `receivers:` or `exporters:` block is a
    // Collector configuration (the builder manifest has no `service:`).
    const { stdout } = await run('git', ['ls-files', '*.yaml', '*.yml'], { cwd: ROOT });
    const found = stdout.split('\n').filter((f) => {
      const text = f ? readFileSync(join(ROOT, f), 'utf8') : '';
      return /^\s*(receivers|exporters):\s*$/m.test(text) && /^\s*service:\s*$/m.test(text);
    });
    expect(found.sort()).toEqual([...SHIPPED_CONFIGS].sort());
  });
});
