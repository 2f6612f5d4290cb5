// @ts-check
import js from '@eslint/js'
import importX from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'

/** Core packages: domain rules only. They may not import adapters, apps or frameworks. */
const CORE_PACKAGES = [
  'shared-kernel',
  'server-state',
  'power',
  'filesystem-jail',
  'backup',
  'transfer',
  'installer',
  'config-files',
  'activity',
]
const FORBIDDEN_IN_CORE = [
  'express',
  'dockerode',
  'ws',
  'ssh2',
  'winston',
  'convict',
  'tsyringe',
  'node:child_process',
  'child_process',
  'node:net',
  'net',
]

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
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: FORBIDDEN_IN_CORE.map((name) => ({
            name,
            message: 'Core packages import no adapter, app or framework (ARCHITECTURE.md).',
          })),
          patterns: [
            {
              group: ['@aws-sdk/*', '@node/environment-*', '@node/storage-*', '@node/panel-client'],
              message: 'Core packages import no adapter, app or framework (ARCHITECTURE.md).',
            },
            {
              group: [
                '@node/jwt',
                '@node/sftp',
                '@node/daemon',
                '@node/panel-sim',
                '@node/testkit',
              ],
              message: 'Core packages import no adapter, app or framework (ARCHITECTURE.md).',
            },
          ],
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
