// @ts-check
import js from '@eslint/js'
import importX from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'

import {
  ADAPTERS,
  CORE_PACKAGES,
  FORBIDDEN_NODE_MODULES,
  FRAMEWORKS,
  TEST_INFRASTRUCTURE,
} from './scripts/workspace-rules.mjs'

const RULE = 'Core packages import no adapter, app or framework (ARCHITECTURE.md).'
const exact = (names) => names.filter((name) => !name.endsWith('*'))
const patterns = (names) => names.filter((name) => name.endsWith('*'))

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '.tools/**', 'coverage/**', '**/build/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      'import-x/no-extraneous-dependencies': ['error', { includeTypes: true }],
    },
  },
  {
    files: CORE_PACKAGES.map((name) => `packages/${name}/src/**/*.ts`),
    ignores: CORE_PACKAGES.map((name) => `packages/${name}/src/**/*.test.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...exact(FRAMEWORKS), ...FORBIDDEN_NODE_MODULES].map((name) => ({
            name,
            message: RULE,
          })),
          patterns: [
            {
              group: [...patterns(FRAMEWORKS), ...ADAPTERS, ...TEST_INFRASTRUCTURE],
              message: RULE,
            },
          ],
        },
      ],
    },
  },
  {
    // A core package's tests run on its own fakes and real Node, never on an adapter.
    files: CORE_PACKAGES.flatMap((name) => [
      `packages/${name}/src/**/*.test.ts`,
      `packages/${name}/test/**/*.ts`,
    ]),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: exact(FRAMEWORKS).map((name) => ({ name, message: RULE })),
          patterns: [{ group: [...patterns(FRAMEWORKS), ...ADAPTERS], message: RULE }],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/testing/**/*.ts', 'bench/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { project: null },
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
      },
    },
  },
)
