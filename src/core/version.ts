import pkg from '../../package.json';

/** The workbench version (package.json), recorded in every run's environment. */
export const VERSION: string = pkg.version;
