// Builds dist/: one ESM bundle per entry point (esbuild) and the .d.ts files (tsc).
//
// The OpenTelemetry SDK packages the receiver uses for its own records and transport (sdk-logs,
// exporter-logs-otlp-http, resources, core: the Node 20 line) are bundled in. Their published
// peer ranges stop below @opentelemetry/api 1.10, so as plain dependencies they would make npm
// report peer-dependency conflicts in every host on the current OpenTelemetry line. The one
// OpenTelemetry package a host shares with the receiver, @opentelemetry/api (self-metrics, diag),
// stays a peer dependency, and the other runtime dependencies stay ordinary ones.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/index.ts', 'src/cli.ts', 'src/register.ts', 'src/demo/fake-slack.ts', 'src/demo/otlp-receiver.ts', 'src/demo/workspace.ts'],
  outbase: 'src',
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Bundled CommonJS code calls require(); ESM has none, so give each chunk one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--emitDeclarationOnly'], { stdio: 'inherit' });
