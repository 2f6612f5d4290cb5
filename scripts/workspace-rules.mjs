// The dependency rule of the workspace, in one place: ESLint (eslint.config.js) and the
// workspace check (scripts/check-workspace.mjs) both read it.

/** Core packages: domain rules and use cases. They import no adapter, app or framework. */
export const CORE_PACKAGES = [
  'shared-kernel',
  'server-state',
  'servers',
  'power',
  'filesystem-jail',
  'backup',
  'transfer',
  'installer',
  'config-files',
  'activity',
]

/** Frameworks and system modules that stay at the edge (adapters and the daemon). */
export const FRAMEWORKS = [
  'express',
  'dockerode',
  'ws',
  'ssh2',
  'winston',
  'convict',
  'tsyringe',
  '@aws-sdk/*',
]

/** Modules of Node that give a core package a process or a socket of its own. */
export const FORBIDDEN_NODE_MODULES = ['node:child_process', 'child_process', 'node:net', 'net']

/** Workspace packages a core package never depends on: the adapters and the apps. */
export const ADAPTERS = [
  '@node/environment-*',
  '@node/storage-*',
  '@node/panel-client',
  '@node/jwt',
  '@node/sftp',
  '@node/daemon',
  '@node/panel-sim',
]

/** Test infrastructure: core tests may use it, core code may not. */
export const TEST_INFRASTRUCTURE = ['@node/testkit']

/** Whether `name` is one of `patterns` (a trailing `*` matches any rest). */
export function matchesAny(name, patterns) {
  return patterns.some((pattern) =>
    pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern,
  )
}
