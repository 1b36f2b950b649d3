/**
 * The GitHub model tests run against is product code now (local mode's sandbox GitHub serves it);
 * tests keep importing it from here.
 */
export * from '../../shared/sandbox/github-server';
