/** The instrumentation scope of every record: this package's name and version, written into the build. */
export { PACKAGE_NAME, PACKAGE_VERSION } from '../generated/package-info.js';
