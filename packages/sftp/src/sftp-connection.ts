import type { Socket } from 'node:net'

import type { Clock, Logger } from '@node/shared-kernel'
// ssh2 is CommonJS whose named exports Node cannot detect: its values come off the default.
import ssh2, {
  type AcceptConnection,
  type AuthContext,
  type ClientInfo,
  type Connection,
  type RejectConnection,
  type ServerChannel,
  type Session,
} from 'ssh2'

import type { PanelAuthenticator, SftpIdentity } from './panel-authenticator.js'
import type { SftpServerLookup } from './server-lookup.js'
import type { SftpActivitySink } from './sftp-activity.js'
import { SftpFileSystem } from './sftp-file-system.js'
import type { SftpLimits } from './sftp-limits.js'
import { SftpSession } from './sftp-session.js'

export interface SftpConnectionOptions {
  readonly socket: Socket
  /** The client's address without the port (IPv4-mapped IPv6 unwrapped). */
  readonly ip: string
  readonly port: number
  readonly authenticator: PanelAuthenticator
  readonly lookup: SftpServerLookup
  readonly readOnly: boolean
  readonly keyOnly: boolean
  readonly limits: SftpLimits
  readonly onActivity: SftpActivitySink | undefined
  readonly clock: Clock
  readonly logger: Logger
}

/** How long a closing connection may take to flush its goodbye before the socket is cut. */
const CLOSE_FLUSH_MS = 5_000

/**
 * One client, from TCP accept to close: the login grace timer, authentication (at most
 * `maxAuthAttempts` tries), the idle timer, and its SFTP sessions. Only `session` channels with
 * the `sftp` subsystem are served; shell, exec, pty, port and agent forwarding have no handler
 * here, so ssh2 refuses them.
 */
export class SftpConnection {
  readonly ip: string
  readonly port: number
  /** Resolves once the socket is closed and every session has released its files. */
  readonly closed: Promise<void>
  #identity: SftpIdentity | undefined
  readonly #o: SftpConnectionOptions
  readonly #sessions = new Set<SftpSession>()
  readonly #abort = new AbortController()
  readonly #log: Logger
  #client: Connection | undefined
  #clientVersion = Buffer.alloc(0)
  #authAttempts = 0
  #channels = 0
  #lastActivity: number
  #stopTimer: (() => void) | undefined
  #closing = false

  constructor(options: SftpConnectionOptions) {
    this.#o = options
    this.ip = options.ip
    this.port = options.port
    this.#log = options.logger.child({ ip: options.ip })
    this.#lastActivity = options.clock.now()
    const { socket } = options
    socket.on('error', (error) => this.#log.debug('sftp socket error', { error: error.message }))
    this.closed = new Promise<void>((resolve) => {
      socket.once('close', () => {
        this.close('connection closed')
        void Promise.all([...this.#sessions].map((session) => session.closed)).then(() => resolve())
      })
    })
    this.#arm(options.limits.loginGraceMs, () => this.close('login grace time exceeded'))
  }

  /** Who logged in on this connection; undefined until authentication succeeds. */
  get identity(): SftpIdentity | undefined {
    return this.#identity
  }

  /** Takes over the SSH side of the socket once ssh2 has read the client's identification. */
  attach(client: Connection, info: ClientInfo): void {
    this.#client = client
    this.#clientVersion = Buffer.from(info.header.identRaw)
    if (this.#closing) {
      client.end()
      return
    }
    client.on('error', (error) => this.#log.debug('ssh connection error', { error: error.message }))
    client.on('authentication', (ctx) => {
      this.#authenticate(ctx).catch((error: unknown) => {
        this.#log.error('sftp authentication failed unexpectedly', {
          error: (error as Error).message,
        })
        ctx.reject()
      })
    })
    client.on('ready', () => this.#watchIdle())
    client.on('session', (accept, reject) => this.#onSession(accept, reject))
  }

  /** Ends the connection: sessions close (uploads in progress are dropped), the socket goes. */
  close(reason: string): void {
    if (this.#closing) return
    this.#closing = true
    this.#stopTimer?.()
    this.#abort.abort()
    this.#log.debug('closing sftp connection', { reason, user: this.#identity?.user })
    for (const session of this.#sessions) void session.close()
    const { socket } = this.#o
    if (socket.destroyed) return
    if (this.#client === undefined) {
      socket.destroy()
      return
    }
    socket.once('finish', () => socket.destroy())
    this.#o.clock.setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS)
    try {
      this.#client.end()
    } catch {
      socket.destroy()
    }
  }

  async #authenticate(ctx: AuthContext): Promise<void> {
    const methods: ('password' | 'publickey')[] = this.#o.keyOnly
      ? ['publickey']
      : ['password', 'publickey']
    if (this.#closing) return ctx.reject(methods)
    switch (ctx.method) {
      case 'password':
        if (this.#o.keyOnly) return ctx.reject(methods)
        return this.#attempt(ctx, 'password', ctx.password, methods)
      case 'publickey': {
        const key = ssh2.utils.parseKey(ctx.key.data)
        if (key instanceof Error) return ctx.reject(methods)
        // A query without signature: say the key would do; the signed attempt proves possession
        // before the Panel is ever asked about the key.
        if (ctx.signature === undefined || ctx.blob === undefined) return ctx.accept()
        if (!key.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) {
          this.#log.warn('refusing public key login: bad signature', { username: ctx.username })
          return this.#refuse(ctx, methods)
        }
        const line = `${key.type} ${ctx.key.data.toString('base64')}\n`
        return this.#attempt(ctx, 'public_key', line, methods)
      }
      default:
        return ctx.reject(methods)
    }
  }

  async #attempt(
    ctx: AuthContext,
    type: 'password' | 'public_key',
    secret: string,
    methods: ('password' | 'publickey')[],
  ): Promise<void> {
    const outcome = await this.#o.authenticator.authenticate(
      {
        type,
        username: ctx.username,
        secret,
        ip: this.ip,
        port: this.port,
        sessionId: this.#sessionId(),
        clientVersion: this.#clientVersion,
      },
      this.#abort.signal,
    )
    if (this.#closing) return
    if (!outcome.ok) return this.#refuse(ctx, methods)
    this.#identity = outcome.identity
    this.#log.info('sftp login', {
      username: outcome.identity.username,
      user: outcome.identity.user,
      server: outcome.identity.server,
      method: type,
    })
    ctx.accept()
  }

  #refuse(ctx: AuthContext, methods: ('password' | 'publickey')[]): void {
    ctx.reject(methods)
    this.#authAttempts++
    if (this.#authAttempts >= this.#o.limits.maxAuthAttempts) {
      this.close('too many authentication failures')
    }
  }

  #onSession(accept: AcceptConnection<Session>, reject: RejectConnection): void {
    if (this.#identity === undefined || this.#closing) return reject()
    if (this.#channels >= this.#o.limits.maxChannelsPerConnection) {
      this.#log.warn('refusing session: too many channels on one connection')
      return reject()
    }
    const session = accept()
    this.#channels++
    session.once('close', () => this.#channels--)
    let started = false
    session.on('subsystem', (acceptSubsystem, rejectSubsystem, info) => {
      // ssh2 passes no reject function when the client asked for no reply.
      const refuse = (): void => (rejectSubsystem as RejectConnection | undefined)?.()
      if (started || info.name !== 'sftp' || this.#closing) return refuse()
      const identity = this.#identity!
      // Spec §11: a server the Panel named but this node does not have opens no SFTP.
      if (this.#o.lookup(identity.server) === undefined) {
        this.#log.warn('refusing sftp: the server is not on this node', { server: identity.server })
        return refuse()
      }
      // Undefined when ssh2 has already given this session's channel away.
      const channel = acceptSubsystem() as ServerChannel | undefined
      if (channel === undefined) return
      started = true
      this.#startSftp(channel, identity)
    })
  }

  #startSftp(channel: ServerChannel, identity: SftpIdentity): void {
    const { limits, clock } = this.#o
    const logger = this.#log.child({ server: identity.server, user: identity.user })
    const files = new SftpFileSystem({
      serverUuid: identity.server,
      user: identity.user,
      ip: this.ip,
      permissions: identity.permissions,
      lookup: this.#o.lookup,
      readOnly: this.#o.readOnly,
      maxReorderBytes: limits.maxReorderBytes,
      onActivity: this.#o.onActivity,
      clock,
      logger,
    })
    const session = new SftpSession({
      channel,
      files,
      limits: {
        maxHandles: limits.maxHandlesPerSession,
        maxPendingRequests: limits.maxPendingRequests,
        maxPendingBytes: limits.maxPendingBytes,
      },
      logger,
      onRequest: () => (this.#lastActivity = clock.now()),
      onServerGone: () => this.close('server removed from the node'),
    })
    this.#sessions.add(session)
    void session.closed.then(() => this.#sessions.delete(session))
  }

  /** Closes the connection once no request has come for `idleTimeoutMs`. */
  #watchIdle(): void {
    const { idleTimeoutMs } = this.#o.limits
    this.#stopTimer?.()
    this.#stopTimer = undefined
    this.#lastActivity = this.#o.clock.now()
    if (idleTimeoutMs <= 0) return
    const check = (): void => {
      const idle = this.#o.clock.now() - this.#lastActivity
      if (idle >= idleTimeoutMs) this.close('idle timeout')
      else this.#arm(idleTimeoutMs - idle, check)
    }
    this.#arm(idleTimeoutMs, check)
  }

  #arm(ms: number, fire: () => void): void {
    this.#stopTimer?.()
    this.#stopTimer = this.#o.clock.setTimeout(fire, ms)
  }

  /** The SSH session identifier, which the Panel receives with each attempt. */
  #sessionId(): Buffer {
    // ssh2 keeps it on its protocol object and offers no accessor.
    const id = (this.#client as { _protocol?: { _kex?: { sessionID?: unknown } } } | undefined)
      ?._protocol?._kex?.sessionID
    return Buffer.isBuffer(id) ? id : Buffer.alloc(0)
  }
}
