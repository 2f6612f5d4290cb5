import 'reflect-metadata'

import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import type { InjectionToken } from 'tsyringe'
import { afterEach, describe, expect, it } from 'vitest'

import { InMemoryActivityStore } from '@node/activity/testing'
import { InMemoryEnvironmentFactory, InMemoryPanelGateway } from '@node/server-state/testing'

import { defaultConfig } from '../config/load-config.js'
import { daemonPaths } from '../config/to-options.js'
import { createWinstonLogger, type DaemonLogger } from '../logging/winston-logger.js'
import { createContainer, ROOT_TOKENS } from './container.js'
import { LiveConfig } from './live-config.js'
import { Tokens } from './tokens.js'

let directory: string | undefined
let logger: DaemonLogger | undefined

afterEach(async () => {
  await logger?.close()
  if (directory) await rm(directory, { recursive: true, force: true })
  directory = undefined
})

/** The daemon's container with the Panel and the runtimes in memory. */
async function inMemoryContainer() {
  directory = await mkdtemp(path.join(tmpdir(), 'container-'))
  const base = defaultConfig()
  const live = new LiveConfig({
    ...base,
    remote: 'https://panel.example.com',
    token_id: 'abc',
    token: 'node-token',
    system: {
      ...base.system,
      root_directory: path.join(directory, 'lib'),
      log_directory: path.join(directory, 'log'),
      data: path.join(directory, 'volumes'),
      tmp_directory: path.join(directory, 'tmp'),
      environment: 'process',
    },
  })
  await mkdir(live.current().system.root_directory, { recursive: true })
  logger = createWinstonLogger({
    debug: false,
    console: false,
    logDirectory: live.current().system.log_directory,
  })
  const c = createContainer({
    live,
    configFile: {
      path: path.join(directory, 'config.yml'),
      config: live.current(),
      unknownKeys: [],
      envOverrides: [],
    },
    logger,
    paths: daemonPaths(live.current()),
    version: '0.0.0-test',
    docker: undefined,
    ignoreCertificateErrors: false,
    tokenScope: { seen: false, remember: () => undefined },
    activityStore: new InMemoryActivityStore(),
  })
  const panel = Object.assign(new InMemoryPanelGateway(), { close: () => undefined })
  c.register(Tokens.PanelGateway, { useValue: panel })
  const factory = new InMemoryEnvironmentFactory()
  c.register(Tokens.NodeEnvironment, {
    useValue: {
      kind: 'process',
      factory,
      prepare: () => Promise.resolve(),
      release: () => Promise.resolve(),
      releaseNow: () => Promise.resolve(),
    },
  })
  return { c, panel, factory }
}

describe('createContainer', () => {
  it('resolves every token, and building what startDaemon resolves builds each of them', async () => {
    const { c } = await inMemoryContainer()
    const tokens: [string, InjectionToken<unknown>][] = Object.entries(Tokens)
    const resolved = new Set<InjectionToken<unknown>>()
    for (const [, token] of tokens) {
      c.afterResolution(token, () => void resolved.add(token), { frequency: 'Always' })
    }

    for (const token of ROOT_TOKENS as readonly InjectionToken<unknown>[]) c.resolve(token)

    const unresolved = tokens.filter(([, token]) => !resolved.has(token))
    expect(unresolved.map(([name]) => name)).toEqual([])
    for (const [name, token] of tokens) {
      if (token === Tokens.Docker) expect(c.resolve(token)).toBeUndefined()
      else expect(c.resolve(token), name).toBeDefined()
    }
  })

  it('wires one instance of each service: the routes and the websocket share the use cases', async () => {
    const { c, panel, factory } = await inMemoryContainer()
    const servers = c.resolve(Tokens.NodeServers)

    expect(c.resolve(Tokens.NodeServers)).toBe(servers)
    await servers.load()
    expect(panel.calls.map((call) => call.method)).toEqual(['listServers'])
    expect(factory.made).toEqual([])
    // @ts-expect-error a token's type is what resolve returns
    const notAString: string = c.resolve(Tokens.NodeServers)
    expect(notAString).toBe(servers)
    await servers.close()
  })
})
