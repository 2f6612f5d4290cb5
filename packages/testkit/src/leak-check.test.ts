import { describe, expect, it } from 'vitest'

import { listProcesses, testProcesses, type ProcessInfo } from './leak-check.js'

const scope = { root: '/repo/', tmp: '/tmp/run-1', exclude: new Set([10, 11]) }
const proc = (pid: number, command: string, cwd = '/'): ProcessInfo => ({
  pid,
  ppid: 1,
  command,
  cwd,
})

describe('testProcesses', () => {
  it('counts what runs the repository files or works in the run temp dir', () => {
    const found = testProcesses(
      [
        proc(
          20,
          '/bin/sh /repo/packages/testkit/images/busybox/rootfs/usr/local/bin/fake-game-server',
        ),
        proc(21, 'node --import /repo/apps/daemon/test/e2e/support/source-hooks.mjs main.ts'),
        proc(22, '/bin/sh -c echo sample', '/tmp/run-1/e2e-node-x/volumes/uuid (deleted)'),
        proc(23, 'sleep 1', '/tmp/run-1'),
      ],
      scope,
    )
    expect(found.map((p) => p.pid)).toEqual([20, 21, 22, 23])
  })

  it('leaves the runner, its ancestors and everything else alone', () => {
    const found = testProcesses(
      [
        proc(10, 'node /repo/node_modules/vitest/vitest.mjs run'),
        proc(11, 'pnpm exec vitest'),
        proc(30, 'node /repo/node_modules/.pnpm/vitest/dist/workers/forks.js', '/repo'),
        proc(31, '/bin/sh /other/packages/testkit/fake-game-server', '/tmp/run-10'),
        proc(32, 'sshd', '/'),
      ],
      scope,
    )
    expect(found).toEqual([])
  })

  it("leaves another checkout's processes alone when they run on this checkout's toolchain", () => {
    const found = testProcesses(
      [
        proc(40, 'node /repo/.tools/node_modules/.bin/pnpm exec vitest run', '/worktree'),
        proc(41, '/repo/.tools/node_modules/node/bin/node /worktree/apps/daemon/dist/main.js'),
        proc(42, '/repo/.tools/node_modules/node/bin/node /repo/apps/daemon/src/main.ts'),
      ],
      scope,
    )
    expect(found.map((p) => p.pid)).toEqual([42])
  })
})

describe('listProcesses', () => {
  it('finds the current process with its parent and working directory', async () => {
    const self = (await listProcesses()).find((p) => p.pid === process.pid)
    expect(self).toMatchObject({ ppid: process.ppid, cwd: process.cwd() })
    expect(self?.command).toContain(process.execPath)
  })
})
