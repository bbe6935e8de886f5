// ESLint flat config. Formatting belongs to Prettier (.prettierrc.json), so no stylistic
// rules are enabled here.
import boundaries from 'eslint-plugin-boundaries';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const TS_FILES = ['apps/**/*.ts', 'apps/**/*.tsx', 'libs/**/*.ts', 'test/**/*.ts'];
const CONSOLE_FILES = ['apps/console/**/*.ts', 'apps/console/**/*.tsx'];
const TEST_FILES = ['test/**/*.ts', '**/*.spec.ts', '**/*.e2e-spec.ts'];
const JS_FILES = ['**/*.js', '**/*.cjs', '**/*.mjs'];

// The Node.js globals the plain-JS files use (the `globals` package is not installed).
const NODE_GLOBALS = {
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  URLSearchParams: 'readonly',
  AbortController: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  setImmediate: 'readonly',
  clearImmediate: 'readonly',
  queueMicrotask: 'readonly',
  structuredClone: 'readonly',
  fetch: 'readonly',
  globalThis: 'readonly',
};
const COMMONJS_GLOBALS = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  __dirname: 'readonly',
  __filename: 'readonly',
};

const UNUSED_VARS_OPTIONS = {
  args: 'after-used',
  argsIgnorePattern: '^_',
  varsIgnorePattern: '^_',
  caughtErrorsIgnorePattern: '^_',
  destructuredArrayIgnorePattern: '^_',
  ignoreRestSiblings: true,
};

// ---------------------------------------------------------------------------------------
// Dependency direction, docs/design.md §1 and docs/architecture.md#dependency-direction:
//   apps → signin → oauth, directory, control → tokens → keys → credentials, audit, ratelimit → db → core
// "Nothing imports an app"; libs/verifier "imports nothing internal", and `tokens` imports
// the public claim types from it (`core` only its `Tier`, declared once). Each lib lists the libs it may import DIRECTLY; the
// allowed set is the transitive closure ("a lib may import anything lower in the chain").
// Siblings on one level (credentials/audit/ratelimit; directory/oauth/control) may not
// import each other; sign-in is the one layer that composes directory, control and oauth,
// and nothing below it imports it. A lib may always import itself.
const LIB_EDGES = {
  core: ['verifier'],
  verifier: [],
  db: ['core'],
  credentials: ['db', 'verifier'],
  audit: ['db'],
  ratelimit: ['db', 'verifier'],
  keys: ['credentials', 'audit', 'ratelimit'],
  tokens: ['keys', 'verifier'],
  directory: ['tokens'],
  oauth: ['tokens'],
  control: ['tokens'],
  signin: ['oauth', 'directory', 'control'],
};
const closure = (lib, seen = new Set()) => {
  for (const dep of LIB_EDGES[lib]) {
    if (!seen.has(dep)) {
      seen.add(dep);
      closure(dep, seen);
    }
  }
  return seen;
};
const LIB_ALLOWED = Object.fromEntries(Object.keys(LIB_EDGES).map((lib) => [lib, [lib, ...closure(lib)].sort()]));

// How the rule sees an import:
// - `@gatehouse/<lib>` is a tsconfig `paths` alias. eslint-import-resolver-typescript is not
//   installed, so the default node resolver cannot resolve it and eslint-plugin-boundaries
//   classifies it as an *external* module whose `source` is `@gatehouse/<lib>`
//   (flagAsExternal.unresolvableAlias). `checkAllOrigins: true` makes those checked.
// - Relative imports (`../../apps/…`, `../../db/src/…`) are resolved by the node resolver
//   (with .ts extensions) to a file, and so to a *local* element: `app` or `lib`.
// Every policy therefore matches both forms (module source and element), which also keeps
// the rule correct if a TypeScript resolver is installed later (aliases would then resolve
// to local `lib` elements).
// Policies are last-match-wins; anything no policy mentions (npm packages, node: builtins)
// is allowed by `default: 'allow'`.
const gatehouse = (libs) => libs.map((lib) => `@gatehouse/${lib}`);
const BOUNDARY_POLICIES = [
  {
    // "Nothing imports an app" (files inside one app importing each other are internal and
    // never checked).
    disallow: { to: { element: { type: 'app' } } },
    message:
      'Nothing may import an app (docs/design.md §1); only tests (test/**, *.spec.ts) may: "{{dependency.source}}".',
  },
  {
    // A lib imports no other lib unless a later policy allows it.
    from: { element: { type: 'lib' } },
    disallow: { to: [{ module: { source: '@gatehouse/*' } }, { element: { type: 'lib' } }] },
    message:
      'libs/{{from.element.captured.lib}} may not import "{{dependency.source}}": ' +
      'against the dependency direction in docs/design.md §1.',
  },
  ...Object.entries(LIB_ALLOWED).map(([lib, allowed]) => ({
    from: { element: { type: 'lib', captured: { lib } } },
    allow: {
      to: [{ module: { source: gatehouse(allowed) } }, { element: { type: 'lib', captured: { lib: allowed } } }],
    },
  })),
  {
    // apps/resource-demo and apps/mcp-demo are what a downstream team writes: the published
    // surface of libs/verifier and nothing else of Gatehouse (`**`: sub-path exports included).
    from: { element: { type: 'app', captured: { app: ['resource-demo', 'mcp-demo'] } } },
    disallow: { to: [{ module: { source: '@gatehouse/**' } }, { element: { type: 'lib' } }] },
    message:
      'apps/{{from.element.captured.app}} may import only @gatehouse/verifier and @gatehouse/verifier/nest: "{{dependency.source}}".',
  },
  {
    from: { element: { type: 'app', captured: { app: ['resource-demo', 'mcp-demo'] } } },
    allow: { to: { module: { source: ['@gatehouse/verifier', '@gatehouse/verifier/nest'] } } },
  },
  {
    // Tests may import anything: e2e suites boot the app, unit specs may use any fixture.
    from: [{ element: { type: 'e2e' } }, { file: { categories: 'spec' } }],
    allow: {
      to: [{ element: { type: 'app' } }, { element: { type: 'lib' } }, { module: { source: '@gatehouse/*' } }],
    },
  },
];

export default defineConfig([
  globalIgnores(['dist/', 'node_modules/', 'coverage/', '.gatehouse/', 'libs/db/src/generated/**']),

  // TypeScript: typescript-eslint recommended (syntax-only, no type information, for speed).
  {
    name: 'gatehouse/typescript',
    files: TS_FILES,
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', UNUSED_VARS_OPTIONS],
    },
  },
  // The console (React): the rules of hooks and exhaustive effect dependencies.
  {
    name: 'gatehouse/console',
    files: CONSOLE_FILES,
    extends: [reactHooks.configs.flat.recommended],
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    name: 'gatehouse/tests',
    files: TEST_FILES,
    rules: {
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },

  // Dependency direction (docs/design.md §1), enforced with eslint-plugin-boundaries v7.
  {
    name: 'gatehouse/boundaries',
    files: TS_FILES,
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] } },
      'boundaries/root-path': import.meta.dirname,
      'boundaries/legacy-templates': false,
      'boundaries/elements': [
        { type: 'app', pattern: 'apps/*', capture: ['app'], partialMatch: false },
        { type: 'lib', pattern: 'libs/*', capture: ['lib'], partialMatch: false },
        { type: 'e2e', pattern: 'test', partialMatch: false },
      ],
      'boundaries/files': [{ category: 'spec', pattern: ['**/*.spec.ts', '**/*.e2e-spec.ts'] }],
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'allow', checkAllOrigins: true, policies: BOUNDARY_POLICIES }],
    },
  },

  // Plain JavaScript: bin/ and *.js config/reporters are CommonJS, *.mjs scripts are ESM.
  {
    name: 'gatehouse/javascript',
    files: JS_FILES,
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: NODE_GLOBALS,
    },
    rules: {
      'no-undef': 'error',
      'no-unused-vars': ['error', UNUSED_VARS_OPTIONS],
    },
  },
  {
    name: 'gatehouse/commonjs',
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { ...NODE_GLOBALS, ...COMMONJS_GLOBALS },
    },
  },
]);
