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
rmSync(new URL('dist', root), { recursive: true, force: true });
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
// The test kit's protobuf and gRPC collectors read the OTLP definitions beside their module.
copyFileSync(new URL('src/testing/otlp-logs.proto', root), new URL('dist/testing/otlp-logs.proto', root));
chmodSync(new URL(pkg.bin['slack-integration-logs'], root), 0o755);
