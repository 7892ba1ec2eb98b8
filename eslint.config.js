// @ts-check
import { readdirSync } from 'node:fs';
import { posix } from 'node:path';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// ---------------------------------------------------------------------------------------------------------------------
// Import zones: the layers of docs/architecture.md as a failing check. An import may only point down:
// errors → wire → spi → core, providers/<name>, store → src/index.ts → adapters/. The sandbox and the test helpers
// stand apart, so that a mistake in paymount's signing code cannot be confirmed by paymount's own code.
//
// Each zone is a directory and either the directories it `may` import (anything else outside the zone is refused)
// or the ones it `mayNot`. Paths are relative to the repository. `typesOnly` lets type-only imports through.
// The rule matches import specifiers, so each zone is expanded into one block per directory depth, where the
// number of `../` that leaves the zone is known. Dynamic `import()` is not checked.
// ---------------------------------------------------------------------------------------------------------------------

const layers = 'see docs/architecture.md';
const providers = readdirSync('src/providers', { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/**
 * @typedef {object} Zone
 * @property {string} dir
 * @property {string} rule what the layer promises, named first in every message
 * @property {string[]} [may] the only directories or modules (without extension) outside `dir` it imports
 * @property {string[]} [mayNot] directories or modules outside `dir` it does not import
 * @property {boolean} [typesOnly] type-only imports of the refused paths are allowed
 */

/** @type {Zone[]} */
const zones = [
  {
    dir: 'src/errors',
    rule: 'errors is the leaf: src/errors imports nothing of paymount',
    may: [],
  },
  {
    dir: 'src/wire',
    rule: 'wire holds neutral primitives: src/wire imports src/errors only',
    may: ['src/errors'],
  },
  {
    dir: 'src/spi',
    rule: 'spi is the contract between core and providers: src/spi imports src/errors and src/wire only',
    may: ['src/errors', 'src/wire'],
  },
  {
    dir: 'src/core',
    rule: 'core names no provider: src/core imports src/errors, src/wire, src/spi and src/store only',
    may: ['src/errors', 'src/wire', 'src/spi', 'src/store'],
  },
  {
    dir: 'src/store',
    rule: 'a store knows no engine and no provider: src/store imports src/errors, src/wire and src/spi only',
    may: ['src/errors', 'src/wire', 'src/spi'],
  },
  ...providers.map((name) => ({
    dir: `src/providers/${name}`,
    rule:
      `a provider stands on the shared layers alone: src/providers/${name} imports src/errors, src/wire and ` +
      'src/spi only (no core, store, sandbox or other provider)',
    may: ['src/errors', 'src/wire', 'src/spi'],
  })),
  {
    dir: 'src/sandbox',
    rule:
      'the sandbox stands alone: src/sandbox imports no value from the rest of paymount (types only), ' +
      'so that its simulators cannot agree with a client mistake',
    may: [],
    typesOnly: true,
  },
  {
    dir: 'adapters',
    rule: 'adapters use the public surface: adapters/ imports src/index.ts and its own files only',
    may: ['src/index'],
  },
  ...['test/helpers', 'test/fixtures'].map((dir) => ({
    dir,
    rule:
      `test helpers build provider messages with their own code: ${dir} imports no value from src/wire or ` +
      'src/providers (types only), so that a signing mistake in paymount cannot pass its own tests',
    mayNot: ['src/wire', 'src/providers'],
    typesOnly: true,
  })),
];

/** How deep below a zone's directory files are expected; a deeper file would fall outside every zone. */
const maxDepth = 4;

/** @param {string} text */
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A specifier that names `target` (a directory, or a module written with or without `.js`) from `depth` levels
 * below `zone`.
 * @param {string} zone
 * @param {number} depth
 * @param {string} target
 */
const reach = (zone, depth, target) =>
  escape('../'.repeat(depth) + posix.relative(zone, target)) + String.raw`(/|\.js$|$)`;

/** @param {Zone} zone @param {number} depth */
function patternFor(zone, depth) {
  const message = `${zone.rule}; ${layers}.`;
  if (zone.mayNot) {
    return {
      regex: `^(${zone.mayNot.map((target) => reach(zone.dir, depth, target)).join('|')})`,
      message,
      caseSensitive: true,
      allowTypeImports: zone.typesOnly ?? false,
    };
  }
  // Leaving the zone takes one `../` more than the depth; of those specifiers, only the listed targets pass.
  const allowed = (zone.may ?? []).map((target) => reach(zone.dir, depth, target));
  const except = allowed.length > 0 ? `(?!${allowed.join('|')})` : '';
  return {
    regex: `^${except}${escape('../'.repeat(depth + 1))}`,
    message,
    caseSensitive: true,
    allowTypeImports: zone.typesOnly ?? false,
  };
}

/** The package naming itself resolves to dist/, a build behind the source. */
const selfReference = {
  regex: '^paymount(/|$)',
  message: 'inside the package, import the source module by its relative path, not the published name.',
  caseSensitive: true,
};

/** @type {import('eslint').Linter.Config[]} */
const zoneBlocks = zones.flatMap((zone) =>
  Array.from({ length: maxDepth + 1 }, (_, depth) => ({
    name: `paymount/zone ${zone.dir} +${String(depth)}`,
    files: [`${zone.dir}/${'*/'.repeat(depth)}*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            patternFor(zone, depth),
            ...(zone.dir.startsWith('src/') || zone.dir === 'adapters' ? [selfReference] : []),
          ],
        },
      ],
    },
  })),
);

// ---------------------------------------------------------------------------------------------------------------------

export default defineConfig(
  {
    name: 'paymount/ignores',
    ignores: ['dist/', 'coverage/', 'test-output/', 'bench/profiles/', 'node_modules/'],
  },
  {
    name: 'paymount/typescript',
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Amounts in fen, byte counts and ports are interpolated into messages and provider fields on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `return next()` in middleware and `(resolve) => server.close(() => resolve())` are the frameworks' idioms.
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        { ignoreArrowShorthand: true, ignoreVoidOperator: true },
      ],
      // No-op loggers and callbacks (`{ warn() {}, error() {} }`) are written empty on purpose.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions', 'methods'] }],
      // `_name` marks a parameter kept for arity (Express error handlers) or a property dropped by a rest pattern.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `async` without `await` keeps a promise contract (store and provider methods): a throw becomes a rejection.
      '@typescript-eslint/require-await': 'off',
      // Passing on a reason received as unknown or any (a promise's rejection, an AbortSignal's reason) keeps it as it
      // came; the rule is for reasons created on the spot, which must be Errors.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
    },
  },
  {
    // Config validation checks what JavaScript callers really pass, not what the types promise.
    name: 'paymount/config-validation',
    files: ['src/**/config.ts', 'src/core/pages/options.ts'],
    rules: { '@typescript-eslint/no-unnecessary-condition': 'off' },
  },
  {
    // A statement cell is a string, and an empty cell means no value: `get(column) || undefined` says exactly that.
    name: 'paymount/statement-cells',
    files: ['src/providers/*/statement/**/*.ts'],
    rules: { '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }] },
  },
  {
    // With noUncheckedIndexedAccess, `!` is how a test says "this exists"; a wrong one fails the run at once.
    name: 'paymount/tests-and-bench',
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Tests read answers as JSON (supertest's res.body, JSON.parse), which is `any`, and check them with expect:
    // typing each answer would add casts, not checks. Teardown guards a setup that failed before assigning
    // (`afterAll(() => app?.close())` with `let app: App`), which the types cannot see.
    name: 'paymount/tests',
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Test servers take async request handlers; a rejection surfaces as vitest's unhandled-rejection error.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  prettier,
  {
    // After eslint-config-prettier, which turns max-len off: Prettier does not wrap comments or strings.
    // (Core's max-len is frozen, not gone: it stays through ESLint 10.) `code` is Prettier's printWidth
    // (.prettierrc.json), so the two agree on code and what max-len adds is the comments. A line made long by a string,
    // a template (the sandbox's HTML, a provider's message), a regex or a URL is left alone: splitting one changes
    // its value or hides it.
    name: 'paymount/max-len',
    rules: {
      'max-len': [
        'error',
        {
          code: 120,
          tabWidth: 2,
          ignoreUrls: true,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
        },
      ],
    },
  },
  {
    name: 'paymount/no-as-never',
    files: ['src/**/*.ts', 'adapters/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSAsExpression > TSNeverKeyword.typeAnnotation, TSTypeAssertion > TSNeverKeyword.typeAnnotation',
          message: '`as never` silences every type error at once: type the value, or narrow it where it is checked.',
        },
      ],
    },
  },
  ...zoneBlocks,
);
