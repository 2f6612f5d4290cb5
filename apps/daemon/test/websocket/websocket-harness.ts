import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { BoundedTokenDenyList, JwtTokenVerifier, WebsocketTokenPolicy } from '@node/jwt'
import { sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'
import type { PowerAction } from '@node/power'
import { Server } from '@node/server-state'
import { buildServerConfiguration } from '@node/server-state/testing'
import type { Clock } from '@node/shared-kernel'
import { WebSocket } from 'ws'

import { WebsocketEndpoint, type WebsocketLimits } from '../../src/websocket/websocket-endpoint.js'

const REMOTE = 'https://panel.example.com'

/** Real time, moved forward by `advance` (the verifier and the sessions read the same clock). */
class OffsetClock implements Clock {
  offsetMs = 0
  now(): number {
    return Date.now() + this.offsetMs
  }
  setTimeout(callback: () => void, ms: number): () => void {
    const timer = setTimeout(callback, ms)
    return () => clearTimeout(timer)
  }
  advance(ms: number): void {
    this.offsetMs += ms
  }
}

/** What the sockets asked the server to do. */
class RecordedActions {
  readonly power: PowerAction[] = []
  readonly commands: string[] = []
  running = false
  log: string[] = []
  powerError: Error | undefined
}

export interface Harness {
  readonly sim: PanelSim
  readonly server: Server
  readonly other: Server
  readonly clock: OffsetClock
  readonly verifier: JwtTokenVerifier
  readonly denyList: BoundedTokenDenyList
  readonly actions: RecordedActions
  readonly endpoint: WebsocketEndpoint
  readonly url: (uuid?: string) => string
  token(
    permissions?: readonly string[],
    options?: Parameters<PanelSim['tokens']['websocket']>[1],
  ): string
  close(): Promise<void>
}

/** The endpoint on a real HTTP server on loopback, tokens minted by panel-sim as the Panel does. */
export async function startHarness(limits: Partial<WebsocketLimits> = {}): Promise<Harness> {
  const sim = await startPanelSim({
    fixture: sampleFixture({ environment: 'process' }),
    panelVersion: '1.12',
    log: () => undefined,
  })
  const simServer = sim.servers()[0]!
  const server = new Server({ configuration: buildServerConfiguration(simServer.uuid) })
  const other = new Server({
    configuration: buildServerConfiguration('6f1f2c1e-8f7a-4f5e-9c3b-2a1d0e9f8c7b'),
  })
  const clock = new OffsetClock()
  const denyList = new BoundedTokenDenyList({ clock, bootedAt: Date.now() - 60_000 })
  const verifier = new JwtTokenVerifier({
    nodeToken: () => sim.node().daemonToken,
    clock,
    denyList,
  })
  const actions = new RecordedActions()
  const byUuid = new Map([server, other].map((s) => [s.uuid, s]))
  const endpoint = new WebsocketEndpoint({
    server: (uuid) => byUuid.get(uuid),
    tokens: verifier,
    policy: new WebsocketTokenPolicy({
      denyList,
      clock,
      acceptsScopeless: () => verifier.acceptsScopeless(),
    }),
    clock,
    limits: { expiryCheckMs: 100, ...limits },
    actions: {
      power: (_server, action) => {
        actions.power.push(action)
        return actions.powerError ? Promise.reject(actions.powerError) : Promise.resolve()
      },
      sendCommand: (_server, command) => {
        actions.commands.push(command)
        return Promise.resolve()
      },
      isRunning: () => Promise.resolve(actions.running),
      readLog: (_server, lines) => Promise.resolve(actions.log.slice(-lines)),
    },
    settings: () => ({ remote: REMOTE, allowedOrigins: [], logCount: 3 }),
    logger: server.logger,
  })
  const http: HttpServer = createServer((_req, res) => res.writeHead(404).end())
  http.on('upgrade', (req, socket, head) => endpoint.handleUpgrade(req, socket, head))
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const port = (http.address() as AddressInfo).port
  return {
    sim,
    server,
    other,
    clock,
    verifier,
    denyList,
    actions,
    endpoint,
    url: (uuid = server.uuid) => `ws://127.0.0.1:${port}/api/servers/${uuid}/ws`,
    token: (permissions = ['*'], options) =>
      sim.tokens.websocket({ server: simServer.uuid, permissions }, options).token,
    async close() {
      endpoint.close()
      http.closeAllConnections()
      await new Promise((resolve) => http.close(resolve))
      await sim.close()
    },
  }
}

export interface Frame {
  readonly event: string
  readonly args?: string[]
}

/** A real `ws` client that keeps every frame it got, raw and parsed. */
export class Client {
  readonly ws: WebSocket
  readonly frames: Frame[] = []
  readonly raw: string[] = []
  closed: { code: number; reason: string } | undefined
  readonly #wakers = new Set<() => void>()

  /** `origin: null` sends no Origin header. */
  constructor(url: string, origin: string | null = REMOTE) {
    this.ws = new WebSocket(url, origin === null ? {} : { origin })
    this.ws.on('message', (data) => {
      const text = (data as Buffer).toString()
      this.raw.push(text)
      this.frames.push(JSON.parse(text) as Frame)
      this.#wake()
    })
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
      this.#wake()
    })
    this.ws.on('error', () => undefined)
  }

  static async open(url: string, origin: string | null = REMOTE): Promise<Client> {
    const client = new Client(url, origin)
    await new Promise<void>((resolve, reject) => {
      client.ws.once('open', () => resolve())
      client.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`HTTP ${res.statusCode}`)),
      )
      client.ws.once('error', reject)
    })
    return client
  }

  send(event: string, ...args: string[]): void {
    this.ws.send(JSON.stringify({ event, args }))
  }

  /** An event without payload exactly as the Panel's browser sends it: `"args":[null]`. */
  sendAsBrowser(event: 'send logs' | 'send stats'): void {
    this.ws.send(`{"event":"${event}","args":[null]}`)
  }

  /** Resolves with the first frame named `event` after index `from`. */
  next(event: string, from = 0, timeoutMs = 5000): Promise<Frame> {
    return this.until(
      () => this.frames.slice(from).find((f) => f.event === event),
      `${event}`,
      timeoutMs,
    )
  }

  async authenticate(token: string): Promise<void> {
    const from = this.frames.length
    this.send('auth', token)
    await this.next('auth success', from)
  }

  closedWith(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed, 'close', timeoutMs)
  }

  until<T>(probe: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
    const found = probe()
    if (found !== undefined) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wakers.delete(check)
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames)}`))
      }, timeoutMs)
      const check = (): void => {
        const value = probe()
        if (value === undefined) return
        clearTimeout(timer)
        this.#wakers.delete(check)
        resolve(value)
      }
      this.#wakers.add(check)
    })
  }

  close(): void {
    this.ws.terminate()
  }

  #wake(): void {
    for (const waker of this.#wakers) waker()
  }
}

/** Waits a moment for frames that must not come. */
export const quiet = (ms = 150): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `probe` until it gives a value (for effects that send no frame). */
export async function eventually<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('timed out waiting for an effect')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
