import { randomUUID } from 'node:crypto'

import type { ActivityRecorder } from '@node/activity'
import type { WebsocketTokenPolicy } from '@node/jwt'
import { isPowerAction, isPowerLockBusyError, type PowerAction } from '@node/power'
import type { Server, ServerEvent } from '@node/server-state'
import {
  isDaemonError,
  type Clock,
  type Logger,
  type TokenVerifier,
  type WebsocketTokenClaims,
} from '@node/shared-kernel'
import type { WebSocket } from 'ws'

import { toGoJson } from '../http/go-json.js'
import { utilizationWire } from '../wire/utilization-wire.js'
import { encodeFrame, EVENT_PERMISSIONS } from './frames.js'
import { TokenBucket } from './token-bucket.js'

/** What a socket's inbound events do to the server; wired to its runtime by the composition root. */
export interface WebsocketActions {
  /** A power action without waiting for the power lock; resolves when it is over. */
  power(server: Server, action: PowerAction): Promise<void>
  sendCommand(server: Server, command: string): Promise<void>
  isRunning(server: Server): Promise<boolean>
  readLog(server: Server, lines: number): Promise<readonly string[]>
}

export interface SessionSettings {
  /** `system.websocket_log_count` */
  readonly logCount: number
}

export interface WebsocketSessionOptions {
  readonly ws: WebSocket
  readonly server: Server
  readonly tokens: TokenVerifier
  /** Judges the session's token again before every event in and out. */
  readonly policy: WebsocketTokenPolicy
  readonly actions: WebsocketActions
  readonly settings: () => SessionSettings
  /** websocket.md §4.1: 30 s. */
  readonly expiryCheckMs: number
  /** The inbound rate limits; the defaults of websocket.md §5 when left out. */
  readonly rates?: WebsocketRates
  /** Takes `server:console.command` and `server:power.*` (behaviour §13). */
  readonly activity?: ActivityRecorder | undefined
  /** The client's address, for the activity log. */
  readonly ip?: string
  readonly clock: Clock
  readonly logger: Logger
  /** Called once the first `auth` succeeded: the session starts receiving the server's events. */
  readonly onAuthenticated: (session: WebsocketSession) => void
}

const GENERIC_ERROR = 'an unexpected error was encountered while handling this request'
const LOCK_BUSY_TEXT =
  'another power action is currently being processed for this server, please try again later'
const UNKNOWN_POWER_ACTION = 'attempting to handle unknown power action'
const POWER_PERMISSIONS: Readonly<Record<PowerAction, string>> = {
  start: 'control.start',
  stop: 'control.stop',
  restart: 'control.restart',
  // The reference lets `control.stop` kill too.
  kill: 'control.stop',
}
/** One inbound bucket: `burst` events at once, one more every `refillMs`. */
interface WebsocketRate {
  readonly burst: number
  readonly refillMs: number
}

/** The inbound buckets of a socket (websocket.md §5). */
export interface WebsocketRates {
  /** Every message. */
  readonly global: WebsocketRate
  readonly auth: WebsocketRate
  /** `send logs` */
  readonly logs: WebsocketRate
  /** `send command` */
  readonly command: WebsocketRate
  /** Every other event. */
  readonly other: WebsocketRate
}

export const DEFAULT_RATES: WebsocketRates = {
  global: { burst: 10, refillMs: 200 },
  auth: { burst: 2, refillMs: 5000 },
  logs: { burst: 2, refillMs: 5000 },
  command: { burst: 10, refillMs: 1000 },
  other: { burst: 4, refillMs: 1000 },
}

/** Outbound frames queued per socket; beyond it the oldest console line is dropped. */
const QUEUE_LIMIT = 256
/** Bytes the socket may hold unsent before the queue stops draining into it. */
const HIGH_WATER_BYTES = 256 * 1024
/** A stalled socket is retried this often (websocket.md §8: 10 ms). */
const RETRY_MS = 10

interface Queued {
  readonly frame: Buffer
  /** Console and install lines may be dropped for a slow socket; state and errors may not. */
  readonly droppable: boolean
}

/**
 * One console websocket (websocket.md): the auth flow, the token re-check before every event in
 * and out, inbound events under rate limits, and an outbound queue that never grows without
 * bound: a slow client loses its oldest console lines, never slows anyone else.
 */
export class WebsocketSession {
  readonly id = randomUUID()
  readonly server: Server
  readonly #o: WebsocketSessionOptions
  #claims: WebsocketTokenClaims | undefined
  /** Whether an accepted token had `admin.websocket.errors` (real error texts are shown). */
  #showErrors = false
  #authenticated = false
  #closed = false
  // Outbound re-check cache: the verdict holds for the current second (tokens have second
  // resolution); denials reach a socket within a second.
  #checkedAtSecond = -1
  #checkVerdict: string | undefined
  readonly #queue: Queued[] = []
  #flushScheduled = false
  #corked = false
  #cancelExpiryTicker: () => void = () => undefined
  readonly #buckets: {
    global: TokenBucket
    auth: TokenBucket
    logs: TokenBucket
    command: TokenBucket
    other: TokenBucket
  }

  constructor(options: WebsocketSessionOptions) {
    this.#o = options
    this.server = options.server
    const clock = options.clock
    const rates = options.rates ?? DEFAULT_RATES
    const bucket = (rate: WebsocketRate) => new TokenBucket(rate.burst, rate.refillMs, clock)
    this.#buckets = {
      global: bucket(rates.global),
      auth: bucket(rates.auth),
      logs: bucket(rates.logs),
      command: bucket(rates.command),
      other: bucket(rates.other),
    }
  }

  get isAuthenticated(): boolean {
    return this.#authenticated
  }

  /** One inbound message. Never throws; failures become `daemon error`/`jwt error` frames. */
  receive(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return
    const global = this.#buckets.global.take()
    if (global !== 'pass') {
      if (global === 'refuse-first') this.#enqueue(encodeFrame('throttled', ['global']), false)
      return
    }
    if (isBinary) return
    if (this.server.isSuspended) {
      this.close(4409, 'server is suspended')
      return
    }
    const message = parseMessage(data)
    if (message === undefined) return
    const bucket = this.#bucketFor(message.event).take()
    if (bucket !== 'pass') {
      if (bucket === 'refuse-first') this.#enqueue(encodeFrame('throttled', [message.event]), false)
      return
    }
    this.#handle(message.event, message.arg).catch((err: unknown) => this.#reportError(err))
  }

  /** A server event for every authenticated socket (the endpoint's fan-out calls this). */
  deliver(event: ServerEvent, frame: () => Buffer): void {
    if (this.#closed || !this.#authenticated) return
    const permission = EVENT_PERMISSIONS[event.name]
    if (permission !== undefined && !this.#has(permission)) return
    const droppable = event.name === 'console output' || event.name === 'install output'
    this.#send(frame, droppable)
    if (event.name === 'deleted') {
      this.#o.clock.setTimeout(() => this.close(1001, 'server deleted'), 0)
    }
  }

  close(code: number, reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#cancelExpiryTicker()
    this.#flush()
    this.#o.ws.close(code, reason)
    // A peer that never answers the close handshake is cut off.
    this.#o.clock.setTimeout(() => this.#o.ws.terminate(), 5000)
  }

  /** The socket went away (client close or network error). */
  ended(): void {
    this.#closed = true
    this.#cancelExpiryTicker()
    this.#queue.length = 0
  }

  #bucketFor(event: string): TokenBucket {
    if (event === 'auth') return this.#buckets.auth
    if (event === 'send logs') return this.#buckets.logs
    if (event === 'send command') return this.#buckets.command
    return this.#buckets.other
  }

  async #handle(event: string, arg: string): Promise<void> {
    if (event === 'auth') return this.#authenticate(arg)
    const refused = this.#o.policy.check(this.#claims, this.server.uuid)
    if (refused !== undefined) {
      this.#enqueue(encodeFrame('jwt error', [refused]), false)
      return
    }
    switch (event) {
      case 'set state':
        return this.#setState(arg)
      case 'send command':
        return this.#sendCommand(arg)
      case 'send logs':
        return this.#sendLogs()
      case 'send stats':
        this.#send(() => statsFrame(this.server), false)
        return
      default:
        return
    }
  }

  async #authenticate(token: string): Promise<void> {
    let claims: WebsocketTokenClaims
    try {
      claims = await this.#o.tokens.verify(token, 'websocket')
    } catch (err) {
      // A refused websocket token is a DeniedError whose message is the `jwt error` text.
      if (isDaemonError(err) && err.code === 'DENIED') this.#reportError(err, 'jwt error')
      else this.#reportError(err)
      return
    }
    if (this.#closed) return
    this.#claims = claims
    this.#checkedAtSecond = -1
    this.#showErrors = this.#o.policy.hasPermission(claims, 'admin.websocket.errors')
    this.#enqueue(encodeFrame('auth success'), false)
    if (this.#authenticated) return
    this.#authenticated = true
    const server = this.server
    // Checked like every event: a token of another server learns nothing about this one.
    this.#send(() => encodeFrame('status', [server.state]), false)
    if (server.state === 'offline' && !server.isInstalling && !server.isTransferring) {
      this.#send(() => statsFrame(server), false)
    }
    this.#scheduleExpiryCheck()
    this.#o.onAuthenticated(this)
  }

  async #setState(action: string): Promise<void> {
    if (!isPowerAction(action)) throw new Error(UNKNOWN_POWER_ACTION)
    if (!this.#has(POWER_PERMISSIONS[action])) return
    try {
      await this.#o.actions.power(this.server, action)
    } catch (err) {
      if (isPowerLockBusyError(err)) {
        this.#enqueue(encodeFrame('daemon error', [errorEvent(LOCK_BUSY_TEXT)]), false)
        return
      }
      throw err
    }
    this.#record(`server:power.${action}`, {})
  }

  async #sendCommand(command: string): Promise<void> {
    if (!this.#has('control.console')) return
    if (this.server.state === 'offline') return
    await this.#o.actions.sendCommand(this.server, command)
    this.#record('server:console.command', { command })
  }

  #record(event: string, metadata: Record<string, unknown>): void {
    this.#o.activity?.record({
      event,
      server: this.server.uuid,
      user: this.#claims?.userUuid ?? null,
      ip: this.#o.ip ?? '',
      metadata,
    })
  }

  async #sendLogs(): Promise<void> {
    if (!(await this.#o.actions.isRunning(this.server))) return
    const lines = await this.#o.actions.readLog(this.server, this.#o.settings().logCount)
    for (const line of lines) this.#send(() => encodeFrame('console output', [line]), false)
  }

  #has(permission: string): boolean {
    return this.#claims !== undefined && this.#o.policy.hasPermission(this.#claims, permission)
  }

  /**
   * Every frame about the server goes out through here (websocket.md §4): while the token does
   * not pass, the frame is replaced by `jwt error`. Frames about the socket itself (auth answers,
   * errors, throttling) are enqueued directly.
   */
  #send(frame: () => Buffer, droppable: boolean): void {
    const refused = this.#outboundCheck()
    if (refused !== undefined) {
      this.#enqueue(encodeFrame('jwt error', [refused]), false)
      return
    }
    this.#enqueue(frame(), droppable)
  }

  #outboundCheck(): string | undefined {
    const second = Math.floor(this.#o.clock.now() / 1000)
    if (second !== this.#checkedAtSecond) {
      this.#checkVerdict = this.#o.policy.check(this.#claims, this.server.uuid)
      this.#checkedAtSecond = second
    }
    return this.#checkVerdict
  }

  /** websocket.md §4.1: every 30 s, `token expired` or `token expiring` (through the check). */
  #scheduleExpiryCheck(): void {
    this.#cancelExpiryTicker = this.#o.clock.setTimeout(() => {
      if (this.#closed) return
      const claims = this.#claims
      if (claims !== undefined) {
        const left = claims.expiresAt - Math.floor(this.#o.clock.now() / 1000)
        const notice = left <= 0 ? 'token expired' : left <= 60 ? 'token expiring' : undefined
        if (notice !== undefined) {
          this.#checkedAtSecond = -1
          const refused = this.#outboundCheck()
          this.#enqueue(
            refused === undefined ? encodeFrame(notice) : encodeFrame('jwt error', [refused]),
            false,
          )
        }
      }
      this.#scheduleExpiryCheck()
    }, this.#o.expiryCheckMs)
  }

  /**
   * websocket.md §7: a refused token as `jwt error` with its text, anything else as
   * `daemon error`, both prefixed.
   */
  #reportError(err: unknown, frame: 'jwt error' | 'daemon error' = 'daemon error'): void {
    if (this.#closed) return
    const id = randomUUID()
    this.#o.logger.debug('websocket event failed', { error_id: id, err })
    if (frame === 'jwt error' && err instanceof Error) {
      this.#enqueue(encodeFrame('jwt error', [errorEvent(err.message, id)]), false)
      return
    }
    const text = this.#showErrors && err instanceof Error ? err.message : GENERIC_ERROR
    this.#enqueue(encodeFrame('daemon error', [errorEvent(text, id)]), false)
  }

  /**
   * Writes at once while the socket keeps up; once it holds HIGH_WATER_BYTES unsent, frames wait
   * in a bounded queue that drops the oldest console line, retried every RETRY_MS.
   */
  #enqueue(frame: Buffer, droppable: boolean): void {
    if (this.#closed) return
    if (this.#queue.length === 0 && this.#canWrite()) {
      this.#write(frame)
      return
    }
    if (this.#queue.length >= QUEUE_LIMIT) {
      const oldest = this.#queue.findIndex((q) => q.droppable)
      if (droppable && oldest < 0) return
      this.#queue.splice(oldest < 0 ? 0 : oldest, 1)
    }
    this.#queue.push({ frame, droppable })
    this.#scheduleFlush()
  }

  #canWrite(): boolean {
    const ws = this.#o.ws
    return ws.readyState === ws.OPEN && ws.bufferedAmount < HIGH_WATER_BYTES
  }

  /** Sends a frame; the writes of one tick are corked into as few syscalls as possible. */
  #write(frame: Buffer): void {
    if (!this.#corked) {
      const socket = (this.#o.ws as unknown as { _socket?: { cork(): void; uncork(): void } })
        ._socket
      socket?.cork()
      this.#corked = true
      process.nextTick(() => {
        this.#corked = false
        socket?.uncork()
      })
    }
    this.#o.ws.send(frame, { binary: false })
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    this.#o.clock.setTimeout(() => {
      this.#flushScheduled = false
      this.#flush()
    }, RETRY_MS)
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#canWrite()) {
      this.#write((this.#queue.shift() as Queued).frame)
    }
    if (this.#queue.length > 0 && !this.#closed) this.#scheduleFlush()
  }
}

/** `stats` in the struct order of `send stats` and the post-auth frame (websocket.md §6.1). */
function statsFrame(server: Server): Buffer {
  return encodeFrame('stats', [toGoJson(utilizationWire(server.resourceUsage()))])
}

function errorEvent(message: string, id: string = randomUUID()): string {
  return `Error Event [${id}]: ${message}`
}

/**
 * `{"event":…,"args":[…]}`; args concatenated (websocket.md §2); undefined when not usable.
 * A `null` element reads as '' as Go decodes it: the Panel's browser sends `"args":[null]` for
 * `send logs` and `send stats` (panel-contract.md E.2).
 */
function parseMessage(data: Buffer): { event: string; arg: string } | undefined {
  let value: unknown
  try {
    value = JSON.parse(data.toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { event, args } = value as { event?: unknown; args?: unknown }
  if (typeof event !== 'string') return undefined
  if (args !== undefined && args !== null && !Array.isArray(args)) return undefined
  const parts = (args ?? []) as unknown[]
  if (!parts.every((part) => typeof part === 'string' || part === null)) return undefined
  return { event, arg: parts.map((part) => part ?? '').join('') }
}
