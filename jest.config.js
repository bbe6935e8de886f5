// Jest runs TypeScript through @swc/jest (decorator metadata on). NestJS 12, jose and a few
// other dependencies are ESM-only, so node_modules is transformed too
// (docs/design.md §9: transformIgnorePatterns: []).
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

const libs = ['core', 'db', 'credentials', 'audit', 'keys', 'tokens', 'directory', 'oauth', 'ratelimit', 'verifier', 'control', 'signin'];
const moduleNameMapper = {
  ...Object.fromEntries(libs.map((l) => [`^@gatehouse/${l}$`, `<rootDir>/libs/${l}/src/index.ts`])),
  '^@gatehouse/verifier/nest$': '<rootDir>/libs/verifier/src/nest/index.ts',
  '^@gatehouse/db/runtime$': '<rootDir>/libs/db/src/runtime.ts',
};

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|cj)s$': swc },
  transformIgnorePatterns: [],
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
  // Hooks boot a whole Gatehouse (database, migrations, keys): seconds, not milliseconds.
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
