/** Moved to product code with the sandbox GitHub; kept here for tests' imports. */
export * from '../../shared/sandbox/github-git';
