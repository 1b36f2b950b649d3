import manifest from '../../package.json';

/** Cutwater's release, from package.json (bundled in at build time), for what runners report about themselves. */
export const CUTWATER_VERSION: string = manifest.version;
