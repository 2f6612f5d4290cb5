import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

import type { ActivityRecorder } from '@node/activity'
import type { WebsocketTokenPolicy } from '@node/jwt'
import type { Server, ServerEvent } from '@node/server-state'
import { systemClock, type Clock, type Logger, type TokenVerifier } from '@node/shared-kernel'
import { WebSocketServer, type WebSocket } from 'ws'

import { toGoJson } from '../http/go-json.js'
import { SERVER_NOT_FOUND } from '../http/middleware/server-exists.js'
import { encodeFrame, eventArgs } from './frames.js'
import {
  DEFAULT_RATES,
  WebsocketSession,
  type SessionSettings,
  type WebsocketActions,
  type WebsocketRates,
} from './websocket-session.js'

interface WebsocketSettings extends SessionSettings {
  /** `remote`: the Panel's URL, the default allowed origin. */
  readonly remote: string
  /** `allowed_origins` (`*` allows any). */
  readonly allowedOrigins: readonly string[]
}

export interface WebsocketEndpointOptions {
  readonly server: (uuid: string) => Server | undefined
  readonly tokens: TokenVerifier
  readonly policy: WebsocketTokenPolicy
  readonly actions: WebsocketActions
  readonly settings: () => WebsocketSettings
  readonly logger: Logger
  readonly clock?: Clock
  readonly limits?: Partial<WebsocketLimits>
  /** Takes the console commands and power actions of the sockets (behaviour §13). */
  readonly activity?: ActivityRecorder
  /** The client's address of an upgrade request (`api.trusted_proxies` applied); default the peer. */
  readonly clientIp?: (req: IncomingMessage) => string
}

export interface WebsocketLimits {
  /** Open sockets per server, all users together (websocket.md §1: 30). */
  readonly perServer: number
  /** Sockets on the whole node that have not authenticated yet. */
  readonly unauthenticated: number
  /** Time a socket has to authenticate. */
  readonly authTimeoutMs: number
  /** Largest inbound frame on the wire (websocket.md §2: 4096 bytes; larger closes with 1009). */
  readonly maxFrameBytes: number
  /** How often token expiry is checked (websocket.md §4.1: 30 s). */
  readonly expiryCheckMs: number
  /** Inbound rate limits of each socket (websocket.md §5). */
  readonly rates: WebsocketRates
}

const DEFAULT_LIMITS: WebsocketLimits = {
  perServer: 30,
  unauthenticated: 256,
  authTimeoutMs: 30_000,
  maxFrameBytes: 4096,
  expiryCheckMs: 30_000,
  rates: DEFAULT_RATES,
}
const WS_PATH = /^\/api\/servers\/([^/]+)\/ws\/?$/
const TOO_MANY = 'Too many open websocket connections.'

/**
 * `GET /api/servers/:server/ws` (websocket.md): the upgrade with its checks, the sockets of each
 * server, and the fan-out of the server's events: each event is encoded once and queued to every
 * authenticated socket, whose own bounded queue absorbs a slow reader.
 */
export class WebsocketEndpoint {
  readonly #o: WebsocketEndpointOptions
  readonly #limits: WebsocketLimits
  readonly #clock: Clock
  readonly #wss: WebSocketServer
  readonly #sockets = new Map<string, Set<WebsocketSession>>()
  readonly #fanouts = new Map<string, () => void>()
  #unauthenticated = 0

  constructor(options: WebsocketEndpointOptions) {
    this.#o = options
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.#clock = options.clock ?? systemClock
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#limits.maxFrameBytes,
      // No compression: no inflate bombs, and one encoded frame serves every socket.
      perMessageDeflate: false,
      clientTracking: false,
    })
    this.#wss.on('headers', (headers) => {
      headers.push("Content-Security-Policy: default-src 'self'", 'X-Frame-Options: DENY')
    })
  }

  /** Whether this endpoint serves the upgrade's path; the HTTP server answers others. */
  handles(req: IncomingMessage): boolean {
    return WS_PATH.test(pathOf(req))
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const server = this.#o.server(decodeSegment(WS_PATH.exec(pathOf(req))?.[1] ?? ''))
    if (server === undefined) return rejectUpgrade(socket, 404, { error: SERVER_NOT_FOUND })
    const open = this.#sockets.get(server.uuid)?.size ?? 0
    if (open >= this.#limits.perServer || this.#unauthenticated >= this.#limits.unauthenticated) {
      return rejectUpgrade(socket, 400, { error: TOO_MANY })
    }
    if (!this.#originAllowed(req.headers.origin)) return rejectUpgrade(socket, 403, 'Forbidden')
    const ip = this.#o.clientIp?.(req) ?? req.socket.remoteAddress ?? ''
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, server, ip))
  }

  /** Closes every socket of a server (suspended, or its users were deauthorized). */
  closeServer(server: Server, code = 4409, reason = 'server is suspended'): void {
    for (const session of this.#sockets.get(server.uuid) ?? []) session.close(code, reason)
  }

  connections(server: Server): number {
    return this.#sockets.get(server.uuid)?.size ?? 0
  }

  /** Sockets open on the whole node, authenticated or not. */
  totalConnections(): number {
    let total = 0
    for (const sessions of this.#sockets.values()) total += sessions.size
    return total
  }

  close(): void {
    for (const sessions of this.#sockets.values()) {
      for (const session of sessions) session.close(1001, 'daemon shutting down')
    }
    for (const stop of this.#fanouts.values()) stop()
    this.#fanouts.clear()
    this.#wss.close()
  }

  #originAllowed(origin: string | undefined): boolean {
    const { remote, allowedOrigins } = this.#o.settings()
    if (origin === undefined) return false
    return origin === remote || allowedOrigins.some((entry) => entry === '*' || entry === origin)
  }

  #accept(ws: WebSocket, server: Server, ip: string): void {
    const logger = server.logger.child({ component: 'websocket' })
    const session = new WebsocketSession({
      ws,
      server,
      tokens: this.#o.tokens,
      policy: this.#o.policy,
      actions: this.#o.actions,
      settings: this.#o.settings,
      expiryCheckMs: this.#limits.expiryCheckMs,
      rates: this.#limits.rates,
      activity: this.#o.activity,
      ip,
      clock: this.#clock,
      logger,
      onAuthenticated: () => {
        this.#unauthenticated--
        cancelAuthTimeout()
        this.#ensureFanout(server)
      },
    })
    const sessions = this.#sockets.get(server.uuid) ?? new Set()
    sessions.add(session)
    this.#sockets.set(server.uuid, sessions)
    this.#unauthenticated++
    const cancelAuthTimeout = this.#clock.setTimeout(() => {
      if (!session.isAuthenticated) session.close(4001, 'authentication timed out')
    }, this.#limits.authTimeoutMs)

    ws.on('message', (data, isBinary) => session.receive(toBuffer(data), isBinary))
    ws.on('error', (err) => logger.debug('websocket error', { err }))
    ws.on('close', () => {
      if (!session.isAuthenticated) this.#unauthenticated--
      cancelAuthTimeout()
      session.ended()
      sessions.delete(session)
      if (sessions.size === 0) {
        this.#sockets.delete(server.uuid)
        this.#fanouts.get(server.uuid)?.()
        this.#fanouts.delete(server.uuid)
      }
    })
    if (server.isSuspended) session.close(4409, 'server is suspended')
  }

  /** One bus subscription per server with sockets; each event is encoded at most once. */
  #ensureFanout(server: Server): void {
    if (this.#fanouts.has(server.uuid)) return
    const unsubscribe = server.events.subscribeAll((event: ServerEvent) => {
      let frame: Buffer | undefined
      const encoded = (): Buffer => (frame ??= encodeFrame(event.name, eventArgs(event)))
      for (const session of this.#sockets.get(server.uuid) ?? []) session.deliver(event, encoded)
    })
    this.#fanouts.set(server.uuid, unsubscribe)
  }
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/'
  const query = url.indexOf('?')
  return query < 0 ? url : url.slice(0, query)
}

/** The `:server` segment, or '' (no such server) when its escapes are malformed, e.g. `%zz`. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return ''
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.isBuffer(data) ? data : Buffer.from(data)
}

/** Answers an upgrade that is refused with a plain HTTP response and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : toGoJson(body)
  const type = typeof body === 'string' ? 'text/plain' : 'application/json'
  const reason =
    { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[
      status
    ] ?? 'Error'
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: ${type}; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  )
}
