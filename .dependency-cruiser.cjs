/**
 * Architecture checks run by `npm run lint`: the folders read bottom-up, so no folder may reach
 * back to a folder that depends on it. Module-level cycles inside one folder are allowed (a
 * folder is one unit); cycles between folders are not.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      severity: 'error',
      scope: 'folder',
      comment: 'Folders depend on each other in one direction only (see docs/architecture.md).',
      from: { path: '^(shared|runner|functions|cli)/' },
      to: { circular: true },
    },
    {
      name: 'shared-is-a-library',
      severity: 'error',
      comment: 'shared/ is library code: the entry points (functions, runner, cli) use it, never the reverse.',
      from: { path: '^shared/' },
      to: { path: '^(functions|runner|cli)/' },
    },
    {
      name: 'entry-points-stand-alone',
      severity: 'error',
      comment: 'A function, the runner and the CLI share code only through shared/.',
      from: { path: '^(functions|runner)/' },
      to: { path: '^(functions|cli)/' },
    },
    {
      name: 'one-function-one-folder',
      severity: 'error',
      comment: 'Each Cloud Function is bundled on its own: one function never imports another.',
      from: { path: '^functions/([^/]+)/' },
      to: { path: '^functions/', pathNot: '^functions/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|dist-tests|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
