import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { until } from '../process-helpers.js';

/**
 * The real OpenTelemetry Collector (built by scripts/build-collector.sh) as a child process: start
 * on a config file and wait for its health_check, stop gracefully, or kill it. Output is kept for
 * the assertions and for failure messages.
 */

/** A port free on 127.0.0.1 right now (the OS picks it; the Collector binds it moments later). */
/**
 * `n` distinct ports free now: held open together, so no two are the same, and none is a port a
 * server of this process listens on (start those first).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

const running = new Set<ChildProcess>();
// A failed test must not leave a Collector behind: kill the ones this process started.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class CollectorProcess {
  private child: ChildProcess | undefined;
  private out = '';
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });

  constructor(
    readonly binary: string,
    readonly configFile: string,
    /** The health_check endpoint's port (the config's extensions.health_check.endpoint). */
    readonly healthPort: number,
  ) {}

  /** Everything the Collector wrote (its logs go to stderr), across restarts. */
  get output(): string {
    return this.out;
  }

  /** Starts the Collector and waits until health_check answers 200 (its pipelines are running). */
  async start(timeoutMs = 30_000): Promise<this> {
    const child = spawn(this.binary, [`--config=${this.configFile}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    child.stdout!.on('data', (d) => (this.out += String(d)));
    child.stderr!.on('data', (d) => (this.out += String(d)));
    let gone = false;
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        gone = true;
        running.delete(child);
        resolve({ code, signal });
      }),
    );
    let healthy = false;
    const end = Date.now() + timeoutMs;
    while (!healthy && !gone && Date.now() < end) {
      healthy = await fetch(`http://127.0.0.1:${this.healthPort}/`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!healthy) await new Promise((r) => setTimeout(r, 50));
    }
    if (!healthy) {
      child.kill('SIGKILL');
      throw new Error(`the Collector did not become healthy (${gone ? 'it exited' : 'timeout'}):\n${this.out}`);
    }
    return this;
  }

  /** SIGKILL: no flush, no shutdown; what is not on disk is gone. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for the exit (a graceful shutdown). */
  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

export { until };
