// The import graph's rules, checked by `npm run lint` (docs/architecture.md, "The layers"). Type-only
// imports count: rooms must stack in layers even for types.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No file imports one that imports it back, directly or around a loop.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-rooms',
      comment:
        'No room (folder) imports another that imports it back, directly or around a loop, so the rooms stack in ' +
        'layers (docs/architecture.md lists them, lowest first). Move what both need into the lower room.',
      scope: 'folder',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-not-functions',
      comment:
        'shared/ knows nothing of the Functions runtime or the composition root (functions/lib/services.ts): a shared ' +
        'function declares the lower-level types it needs (SubmitDeps, ...), and the root passes them in.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^functions/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|\\.tools)/' },
  },
};
