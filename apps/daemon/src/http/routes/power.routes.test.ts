import { once } from 'node:events'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { PowerAction } from '@node/power'
import { Server } from '@node/server-state'
import { buildServerConfiguration } from '@node/server-state/testing'
import { MemoryLogger } from '@node/shared-kernel/testing'

import { createHttpApp } from '../app.js'
import { logSize, POWER_ROUTE_ERRORS, powerLockWaitMs, powerRoutes } from './power.routes.js'

describe('logSize', () => {
  it.each([
    [undefined, 100],
    ['', 100],
    ['abc', 100],
    ['0', 100],
    ['-5', 100],
    ['1', 1],
    ['100', 100],
    ['101', 100],
    ['2.5', 100],
    [['3', '4'], 100],
  ])('size=%j reads %i lines', (value, lines) => {
    expect(logSize(value)).toBe(lines)
  })
})

describe('powerLockWaitMs', () => {
  it.each([
    [0, 0],
    [5, 5000],
    [300, 300_000],
    [301, 30_000],
    [-1, 30_000],
  ])('wait_seconds=%i waits %i ms', (seconds, ms) => {
    expect(powerLockWaitMs(seconds)).toBe(ms)
  })
})

describe('the power routes over HTTP', () => {
  const TOKEN = 'node-secret-token-0123456789'
  const RUNNING = '0b3f6f5c-8a8e-4a56-9b1e-3c1f4f9e2a01'
  const SUSPENDED = '6d2c1a0e-4f5b-4c3d-8e7f-9a0b1c2d3e4f'

  let http: HttpServer
  let base: string
  let servers: Map<string, Server>
  let api: RecordingPowerApi

  beforeEach(async () => {
    servers = new Map(
      [
        new Server({ configuration: buildServerConfiguration(RUNNING) }),
        new Server({
          configuration: buildServerConfiguration(SUSPENDED, { settings: { suspended: true } }),
        }),
      ].map((server) => [server.uuid, server]),
    )
    servers.get(RUNNING)?.setState('running')
    api = new RecordingPowerApi(servers)
    const app = createHttpApp({
      logger: new MemoryLogger(),
      settings: () => ({
        token: TOKEN,
        remote: 'https://panel.example.com',
        allowedOrigins: [],
        allowPrivateNetwork: false,
      }),
      trustedProxies: [],
      publicRoutes: [],
      routes: [
        powerRoutes({
          servers: api,
          isSuspended: (server) => server.isSuspended,
          power: api,
          install: api,
        }),
      ],
    })
    http = createServer(app)
    http.listen(0, '127.0.0.1')
    await once(http, 'listening')
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  })

  afterEach(async () => {
    http.close()
    await once(http, 'close')
    for (const server of servers.values()) server.cancel()
  })

  const call = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })

  it('runs a power action in the background and answers 202 with no body', async () => {
    const res = await call('POST', `/api/servers/${RUNNING}/power`, { action: 'restart' })

    expect(res.status).toBe(202)
    expect(await res.text()).toBe('')
    expect(api.calls).toEqual([['power', RUNNING, 'restart', 0]])
  })

  it('turns wait_seconds into the lock wait, out of range meaning 30 s', async () => {
    await call('POST', `/api/servers/${RUNNING}/power`, { action: 'stop', wait_seconds: 12 })
    await call('POST', `/api/servers/${RUNNING}/power`, { action: 'kill', wait_seconds: 301 })

    expect(api.calls).toEqual([
      ['power', RUNNING, 'stop', 12_000],
      ['power', RUNNING, 'kill', 30_000],
    ])
  })

  it('refuses an unknown action with the spec 422', async () => {
    const res = await call('POST', `/api/servers/${RUNNING}/power`, { action: 'explode' })

    expect(res.status).toBe(422)
    expect(await res.json()).toEqual({ error: POWER_ROUTE_ERRORS.invalidAction })
    expect(api.calls).toEqual([])
  })

  it('refuses a body of the wrong shape with a 400 and runs nothing', async () => {
    const wrongType = await call('POST', `/api/servers/${RUNNING}/power`, { action: 7 })
    const fraction = await call('POST', `/api/servers/${RUNNING}/power`, {
      action: 'start',
      wait_seconds: 1.5,
    })
    const notJson = await call('POST', `/api/servers/${RUNNING}/power`, '{"action":')

    expect([wrongType.status, fraction.status, notJson.status]).toEqual([400, 400, 400])
    expect(api.calls).toEqual([])
  })

  it('refuses to start or restart a suspended server, but stops and kills it', async () => {
    const start = await call('POST', `/api/servers/${SUSPENDED}/power`, { action: 'start' })
    const restart = await call('POST', `/api/servers/${SUSPENDED}/power`, { action: 'restart' })
    const stop = await call('POST', `/api/servers/${SUSPENDED}/power`, { action: 'stop' })

    expect(start.status).toBe(400)
    expect(await start.json()).toEqual({ error: POWER_ROUTE_ERRORS.suspended })
    expect(restart.status).toBe(400)
    expect(stop.status).toBe(202)
    expect(api.calls).toEqual([['power', SUSPENDED, 'stop', 0]])
  })

  it('answers the spec 404 for a server this node does not have', async () => {
    const res = await call('POST', `/api/servers/${RUNNING.toUpperCase()}/power`, {
      action: 'start',
    })

    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({
      error: 'The requested resource does not exist on this instance.',
    })
  })

  it('sends commands to a running server and answers 204', async () => {
    const res = await call('POST', `/api/servers/${RUNNING}/commands`, {
      commands: ['say hi', 'list'],
    })

    expect(res.status).toBe(204)
    expect(api.calls).toEqual([['commands', RUNNING, ['say hi', 'list']]])
  })

  it('refuses commands to a stopped server with 502 before reading the body', async () => {
    const res = await call('POST', `/api/servers/${SUSPENDED}/commands`, 'not json at all')

    expect(res.status).toBe(502)
    expect(await res.json()).toEqual({ error: POWER_ROUTE_ERRORS.stopped })
    expect(api.calls).toEqual([])
  })

  it('refuses commands that are not a list of strings', async () => {
    const res = await call('POST', `/api/servers/${RUNNING}/commands`, { commands: [1] })

    expect(res.status).toBe(400)
    expect(api.calls).toEqual([])
  })

  it('serves the last lines of the log, null when there are none', async () => {
    api.consoleLog = ['one', 'two', 'three']
    const three = await call('GET', `/api/servers/${RUNNING}/logs?size=3`)
    const fallback = await call('GET', `/api/servers/${RUNNING}/logs?size=1000`)
    api.consoleLog = []
    const empty = await call('GET', `/api/servers/${RUNNING}/logs`)

    expect(three.status).toBe(200)
    expect(await three.json()).toEqual({ data: ['one', 'two', 'three'] })
    expect(await fallback.json()).toEqual({ data: ['one', 'two', 'three'] })
    expect(await empty.json()).toEqual({ data: null })
    expect(api.calls).toEqual([
      ['logs', RUNNING, 3],
      ['logs', RUNNING, 100],
      ['logs', RUNNING, 100],
    ])
  })

  it('starts an install in the background and answers 202', async () => {
    const res = await call('POST', `/api/servers/${RUNNING}/install`)

    expect(res.status).toBe(202)
    expect(await res.text()).toBe('')
    expect(api.calls).toEqual([['install', RUNNING]])
  })

  it('reinstalls, or answers the spec 409 while a power action holds the lock', async () => {
    const free = await call('POST', `/api/servers/${RUNNING}/reinstall`)
    api.powerBusy = true
    const busy = await call('POST', `/api/servers/${RUNNING}/reinstall`)

    expect(free.status).toBe(202)
    expect(busy.status).toBe(409)
    expect(await busy.json()).toEqual({ error: POWER_ROUTE_ERRORS.reinstallBusy })
    expect(api.calls).toEqual([['reinstall', RUNNING]])
  })

  it("serves the install log's output as data, the reference's 500 when there is none", async () => {
    api.installLogs.set(RUNNING, 'Installing\n<done>\n')
    const found = await call('GET', `/api/servers/${RUNNING}/install-logs`)
    api.installLogs.clear()
    const missing = await call('GET', `/api/servers/${RUNNING}/install-logs`)

    expect(found.status).toBe(200)
    expect(await found.text()).toBe('{"data":"Installing\\n\\u003cdone\\u003e\\n"}')
    expect(missing.status).toBe(500)
    expect(await missing.json()).toEqual({ error: POWER_ROUTE_ERRORS.noInstallLog })
  })

  it('keeps the node token in front of every route', async () => {
    const res = await fetch(`${base}/api/servers/${RUNNING}/power`, {
      method: 'POST',
      body: JSON.stringify({ action: 'kill' }),
    })

    expect(res.status).toBe(401)
    expect(api.calls).toEqual([])
  })
})

/** Records what the routes ask for; the state it answers from lives on real `Server` objects. */
class RecordingPowerApi {
  readonly calls: unknown[][] = []
  consoleLog: readonly string[] = []
  powerBusy = false
  readonly #servers: ReadonlyMap<string, Server>

  constructor(servers: ReadonlyMap<string, Server>) {
    this.#servers = servers
  }
  get(uuid: string): Server | undefined {
    return this.#servers.get(uuid)
  }
  start(server: Server, action: PowerAction, waitMs: number): void {
    this.calls.push(['power', server.uuid, action, waitMs])
  }
  isRunning(server: Server): Promise<boolean> {
    return Promise.resolve(server.state !== 'offline')
  }
  sendCommands(server: Server, commands: readonly string[]): Promise<void> {
    this.calls.push(['commands', server.uuid, commands])
    return Promise.resolve()
  }
  readLog(server: Server, lines: number): Promise<readonly string[]> {
    this.calls.push(['logs', server.uuid, lines])
    return Promise.resolve(this.consoleLog.slice(-lines))
  }
  install(server: Server): void {
    this.calls.push(['install', server.uuid])
  }
  isBusy(): boolean {
    return this.powerBusy
  }
  reinstall(server: Server): void {
    this.calls.push(['reinstall', server.uuid])
  }
  installLogs = new Map<string, string>()
  log(server: Server): Promise<string | undefined> {
    return Promise.resolve(this.installLogs.get(server.uuid))
  }
}
