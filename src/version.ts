import { createRequire } from 'node:module';

// package.json sits one level above both src/ and dist/.
const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

/** The instrumentation scope of every record: this package's name and version. */
export const PACKAGE_NAME: string = pkg.name;
export const PACKAGE_VERSION: string = pkg.version;
