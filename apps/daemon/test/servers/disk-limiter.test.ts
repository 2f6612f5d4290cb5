import { randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'

import { ProcessEnvironmentFactory } from '@node/environment-process'
import { Jail } from '@node/filesystem-jail'
import { formatNotice, NOTICES, ServerRuntime } from '@node/power'
import { environmentSettingsOf, Server } from '@node/server-state'
import { watchDiskLimit } from '@node/servers'
import { buildServerConfiguration } from '@node/server-state/testing'
import { createTempDir, FAKE_GAME_SERVER, type TempDir } from '@node/testkit'
import { afterEach, describe, expect, it } from 'vitest'

// Behaviour §8.3: a running server that writes past its disk limit is stopped, with the notice,
// once per start. Real child process, real jail, real disk walk.

let dir: TempDir | undefined
const cleanup: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
  await dir?.[Symbol.asyncDispose]()
})

async function runningServer(limitBytes: number) {
  dir = await createTempDir('disk-limiter-')
  const uuid = randomUUID()
  const root = path.join(dir.path, uuid)
  await mkdir(root)
  const base = buildServerConfiguration(uuid)
  const server = new Server({
    configuration: { ...base, settings: { ...base.settings, invocation: FAKE_GAME_SERVER } },
  })
  const settings = () => environmentSettingsOf(server.configuration, { timezone: 'UTC' })
  const environment = new ProcessEnvironmentFactory({
    dataDirectory: dir.path,
    statsIntervalMs: 50,
  }).forServer(uuid, settings())
  const runtime = new ServerRuntime({
    server,
    environment,
    settings: () => ({
      appName: 'Pterodactyl',
      crashDetection: { enabled: true, detectCleanExitAsCrash: true, timeoutSeconds: 60 },
      throttle: { lines: 2000, intervalMs: 100 },
    }),
    preflight: { sync: () => Promise.resolve(), environmentSettings: settings },
  })
  const jail = await Jail.open(root, { diskLimitBytes: limitBytes, diskCheckIntervalMs: 50 })
  const unwatch = watchDiskLimit(runtime, jail)
  cleanup.push(async () => {
    unwatch()
    // Through the runtime: killing the process behind its back is a crash it would restart.
    await runtime.destroy()
    await jail.close()
  })
  const lines: string[] = []
  server.events.subscribe('console output', (line) => lines.push(line))
  await runtime.power('start')
  return { server, runtime, lines }
}

async function until(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('watchDiskLimit', { timeout: 30_000 }, () => {
  it('stops a running server that writes past its limit, with the notice, once', async () => {
    const { server, runtime, lines } = await runningServer(64 * 1024)
    await until(() => server.state === 'running')

    await runtime.sendCommands(['run dd if=/dev/zero of=big bs=1024 count=256 2>/dev/null'])
    await until(() => server.state === 'offline')

    const notice = formatNotice('Pterodactyl', NOTICES.diskExceeded)
    expect(lines.filter((line) => line === notice)).toHaveLength(1)
    expect(lines.some((line) => line.includes('crashed state'))).toBe(false)
  })

  it('leaves a server under its limit running', async () => {
    const { server, runtime, lines } = await runningServer(1024 * 1024)
    await until(() => server.state === 'running')

    await runtime.sendCommands(['run dd if=/dev/zero of=small bs=1024 count=16 2>/dev/null'])
    await until(() => lines.includes('run done'))
    await new Promise((resolve) => setTimeout(resolve, 400))

    expect(server.state).toBe('running')
  })
})
