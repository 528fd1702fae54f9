import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's own package.json, found upwards from this file (src/, dist/ or a bundle chunk). */
function readOwnPackageJson(): { name: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'slack-integration-logs-receiver' && pkg.version) return pkg as { name: string; version: string };
    } catch {
      // no package.json here: keep going up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('slack-integration-logs-receiver: cannot find its package.json');
    dir = parent;
  }
}

const pkg = readOwnPackageJson();

/** The instrumentation scope of every record: this package's name and version. */
export const PACKAGE_NAME: string = pkg.name;
export const PACKAGE_VERSION: string = pkg.version;
