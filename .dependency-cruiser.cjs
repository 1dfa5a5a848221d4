// The direction of imports (README, "Layout"): cli/server → service → gallery/media → engine. api/ is
// the contract (API shapes and the CSV format) that the server, the service and the browser share: it
// imports nothing of Visage. errors.ts and data-dir.ts are leaves any layer may use.
// `npm test` runs this check: a circle or an import against the direction fails CI.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a circle means two modules are one',
      from: {},
      to: { circular: true },
    },
    {
      name: 'engine-is-the-bottom',
      severity: 'error',
      comment: 'the face engine knows nothing of the gallery, media, the service or its shells',
      from: { path: '^src/engine/' },
      to: { path: '^src/(gallery|media|service|server|cli|api)/' },
    },
    {
      name: 'gallery-and-media-below-service',
      severity: 'error',
      comment: 'storage and media serve the service layer; they never call up into it',
      from: { path: '^src/(gallery|media)/' },
      to: { path: '^src/(service|server|cli)/' },
    },
    {
      name: 'gallery-and-media-are-siblings',
      severity: 'error',
      from: { path: '^src/gallery/' },
      to: { path: '^src/media/' },
    },
    {
      name: 'media-and-gallery-are-siblings',
      severity: 'error',
      from: { path: '^src/media/' },
      to: { path: '^src/gallery/' },
    },
    {
      name: 'service-below-shells',
      severity: 'error',
      comment: 'the service layer is the one entrance; it never imports the CLI or the HTTP server',
      from: { path: '^src/service/' },
      to: { path: '^src/(server|cli)/' },
    },
    {
      name: 'shells-are-siblings',
      severity: 'error',
      comment: 'the CLI may start the server (visage serve) but the server never imports the CLI',
      from: { path: '^src/server/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'shells-call-the-service',
      severity: 'error',
      comment:
        'CLI and HTTP routes are thin shells: they parse, call one service verb and render; they reach the engine, the gallery and media only through the service (types excepted)',
      from: { path: '^src/(server|cli)/' },
      to: { path: '^src/(engine|gallery|media)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'api-is-a-leaf',
      severity: 'error',
      comment: 'the contract is shared with the browser bundle: no Visage or Node imports',
      from: { path: '^src/api/' },
      to: { path: '^(src/(?!api/)|node:)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'web-uses-only-the-contract',
      severity: 'error',
      comment: 'the browser app talks to the server over HTTP; of the server code it shares only src/api',
      from: { path: '^web/src/' },
      to: { path: '^src/(?!api/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/|^dist/|^web/dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
