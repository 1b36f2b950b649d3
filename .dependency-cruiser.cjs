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
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
