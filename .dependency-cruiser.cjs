/**
 * The layer rule as a check (`npm run lint:layers`). Layers point one way:
 *   HTTP (src/http, src/app.ts, src/server.ts) → pipeline (src/pipeline) → domain → store → util.
 * Type-only imports count the same as value imports: a type import still couples the layers.
 */
const DOMAIN = '(alerts|audit|auth|cache|canonical|config|credits|limits|observability|providers|routing|upstream|usage)';
const HTTP = '^src/(http/|app\\.ts$|server\\.ts$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: neither can be read, tested or moved alone.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'domain-not-to-pipeline-or-http',
      comment: 'Domain code knows nothing of HTTP or of the request pipeline that drives it.',
      severity: 'error',
      from: { path: `^src/${DOMAIN}/` },
      to: { path: [HTTP, '^src/pipeline/', '^src/gateway\\.ts$'] },
    },
    {
      name: 'domain-shares-only-the-admin-contract-with-the-sdk',
      comment: 'The admin API is described once (src/sdk/admin-api); the rest of the SDK is a client the server never uses.',
      severity: 'error',
      from: { path: `^src/(${DOMAIN.slice(1, -1)}|pipeline|store|util)/` },
      to: { path: '^src/sdk/', pathNot: '^src/sdk/admin-api/' },
    },
    {
      name: 'pipeline-not-to-http',
      comment: 'The pipeline is shared by every ingress; the edge calls it, never the reverse.',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: HTTP },
    },
    {
      name: 'store-and-util-at-the-bottom',
      comment: 'Storage adapters and utilities serve the layers above and import none of them.',
      severity: 'error',
      from: { path: '^src/(store|util)/' },
      to: { path: [`^src/${DOMAIN}/`, '^src/pipeline/', HTTP] },
    },
    {
      name: 'canonical-is-self-contained',
      comment: 'The internal request / response / stream shapes depend only on themselves, util and the error family.',
      severity: 'error',
      from: { path: '^src/canonical/' },
      to: { pathNot: ['^src/(canonical|util)/', '^src/errors\\.ts$'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'providers-are-translators',
      comment: 'A provider adapter translates wire formats; transport, credits, limits, cache and auth call it, not the reverse.',
      severity: 'error',
      from: { path: '^src/providers/' },
      to: { path: '^src/(upstream|credits|limits|cache|auth)/' },
    },
    {
      name: 'sdk-is-its-own-package',
      comment: 'tollgate/sdk ships as its own entry: it imports only itself and npm packages.',
      severity: 'error',
      from: { path: '^src/sdk/' },
      to: { pathNot: ['^src/sdk/', 'node_modules'] },
    },
    {
      name: 'src-not-to-test-or-bench',
      comment: 'Test doubles (the provider simulator among them) and the benchmark are never shipped.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'errors-is-a-leaf',
      comment: 'The domain error family is imported by every layer, so it imports nothing of the gateway.',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'resolvable',
      comment: 'An import the checker cannot resolve would slip past every rule above.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
