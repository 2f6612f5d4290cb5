import { defineConfig } from 'vitest/config'

// Tests run against the TypeScript sources, never against dist/: every @node/* package exports its
// source under this condition. No `module` condition: it picks bundler-only builds (the AWS SDK's
// dist-es, extensionless imports) that Node cannot load; the tests resolve as Node does.
const conditions = ['@node/source', 'node', 'development|production']
// Every project: the run fails when a test leaves a process behind (packages/testkit).
const LEAK_CHECK = 'packages/testkit/src/leak-check.ts'

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,apps}/*/src/**/*.test.ts'],
          globalSetup: [LEAK_CHECK],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{packages,apps}/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
          exclude: ['apps/daemon/test/e2e/**'],
          globalSetup: [LEAK_CHECK, 'packages/testkit/src/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['apps/daemon/test/e2e/**/*.test.ts'],
          globalSetup: [LEAK_CHECK, 'packages/testkit/src/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
