// Builds dist/: the project's own code, compiled by tsc file by file (.js, .d.ts). Nothing of a
// third party is bundled in: every package the receiver runs is a declared dependency, so a host's
// `npm ls`, `npm audit` and SBOM tools see it, and an upstream fix needs no release of ours.
//
// The package's name and version are written into the build (src/generated/package-info.ts), so
// nothing reads package.json at run time: a host that bundles its server has none to read.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

mkdirSync(new URL('src/generated/', root), { recursive: true });
writeFileSync(
  new URL('src/generated/package-info.ts', root),
  `// Written by scripts/build.mjs from package.json; not committed.\nexport const PACKAGE_NAME = ${JSON.stringify(pkg.name)};\nexport const PACKAGE_VERSION = ${JSON.stringify(pkg.version)};\n`,
);
writeSensitiveScopes();
rmSync(new URL('dist', root), { recursive: true, force: true });
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
// The test kit's protobuf and gRPC collectors read the OTLP definitions beside their module.
copyFileSync(new URL('src/testing/otlp-logs.proto', root), new URL('dist/testing/otlp-logs.proto', root));
chmodSync(new URL(pkg.bin['slack-integration-logs'], root), 0o755);

// The sensitive-scope list has one copy, detections/sensitive-scopes.json, which the detection pack
// reads too; the receiver gets it compiled in (src/generated/sensitive-scopes.ts), so nothing reads
// the file at run time. A malformed entry stops the build with the entry and the fix.
function writeSensitiveScopes() {
  const file = 'detections/sensitive-scopes.json';
  const { scopes } = JSON.parse(readFileSync(new URL(file, root), 'utf8'));
  if (!Array.isArray(scopes) || scopes.length === 0) throw new Error(`${file}: no \`scopes\` list; add one`);
  scopes.forEach((entry, i) => {
    const problem = sensitiveScopeProblem(entry, scopes.slice(0, i));
    if (problem) throw new Error(`${file}: scopes[${i}] ${JSON.stringify(entry?.scope ?? null)}: ${problem}; fix the entry`);
  });
  const list = scopes.map(({ scope, match }) => ({ scope, match }));
  writeFileSync(
    new URL('src/generated/sensitive-scopes.ts', root),
    `// Written by scripts/build.mjs from ${file}; not committed.\nexport const SENSITIVE_SCOPES: readonly { scope: string; match: 'exact' | 'prefix' }[] = ${JSON.stringify(list)};\n`,
  );
}

function sensitiveScopeProblem(entry, before) {
  if (typeof entry?.scope !== 'string' || entry.scope === '') return 'no `scope` name';
  if (!['exact', 'prefix'].includes(entry.match)) return '`match` must be "exact" or "prefix"';
  if (!['admin', 'read', 'impersonate'].includes(entry.class)) return '`class` must be "admin", "read" or "impersonate"';
  if (typeof entry.description !== 'string' || entry.description === '') return "no `description` (Slack's)";
  if (before.some((b) => b.scope === entry.scope)) return 'listed twice';
  return undefined;
}
