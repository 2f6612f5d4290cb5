import net, { type AddressInfo, type Socket } from 'node:net'

import type { PanelGateway } from '@node/server-state'
import { nullLogger, systemClock, type Clock, type Logger } from '@node/shared-kernel'
// ssh2 is CommonJS whose named exports Node cannot detect: its classes come off the default.
import ssh2, { type Algorithms, type ClientInfo, type Connection, type Server } from 'ssh2'

import { loadOrCreateHostKey, type HostKey } from './host-key.js'
import { LoginThrottle } from './login-throttle.js'
import { PanelAuthenticator } from './panel-authenticator.js'
import type { SftpServerLookup } from './server-lookup.js'
import type { SftpActivitySink } from './sftp-activity.js'
import { SftpConnection } from './sftp-connection.js'
import { resolveLimits, type SftpLimits } from './sftp-limits.js'

export interface SftpServerOptions {
  /** `system.sftp.bind_address`; default `0.0.0.0`. */
  readonly bindAddress?: string
  /** `system.sftp.bind_port`; default 2022; 0 picks a free port. */
  readonly bindPort?: number
  /** `<system.data>/.sftp/id_ed25519`: read, or created once (0600). */
  readonly hostKeyPath: string
  /** Checks credentials: `POST /sftp/auth` (panel-remote-calls §7). */
  readonly panel: Pick<PanelGateway, 'validateSftpCredentials'>
  /** The servers of this node, looked up again for every request. */
  readonly servers: SftpServerLookup
  /** `system.sftp.read_only`: every write answers "operation unsupported". */
  readonly readOnly?: boolean
  /** Pelican's `system.sftp.key_only`: passwords are refused. */
  readonly keyOnly?: boolean
  readonly limits?: Partial<SftpLimits>
  /** Receives `server:sftp.*` activity (behaviour §13). */
  readonly onActivity?: SftpActivitySink
  readonly logger?: Logger
  readonly clock?: Clock
}

// Behaviour §11: the reference's algorithm lists.
const ALGORITHMS: Algorithms = {
  kex: [
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'ecdh-sha2-nistp256',
    'ecdh-sha2-nistp384',
    'ecdh-sha2-nistp521',
    'diffie-hellman-group14-sha256',
  ],
  cipher: [
    'aes128-gcm@openssh.com',
    'chacha20-poly1305@openssh.com',
    'aes128-ctr',
    'aes192-ctr',
    'aes256-ctr',
  ],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256'],
  serverHostKey: ['ssh-ed25519'],
  compress: ['none'],
}

/**
 * The node's SFTP server: SSH on ssh2, logins checked by the Panel, each session confined to one
 * server's jail with the permissions the Panel gave, sessions closed as soon as access is revoked.
 */
export class SftpServer {
  readonly #o: SftpServerOptions
  readonly #limits: SftpLimits
  readonly #logger: Logger
  readonly #clock: Clock
  readonly #authenticator: PanelAuthenticator
  readonly #connections = new Set<SftpConnection>()
  /** Connections by `<socket remote address>|<port>`, to hand each its ssh2 client. */
  readonly #byEndpoint = new Map<string, SftpConnection>()
  readonly #perAddress = new Map<string, number>()
  #hostKey: HostKey | undefined
  #ssh: Server | undefined
  #listener: net.Server | undefined

  constructor(options: SftpServerOptions) {
    this.#o = options
    this.#limits = resolveLimits(options.limits)
    this.#logger = (options.logger ?? nullLogger).child({ subsystem: 'sftp' })
    this.#clock = options.clock ?? systemClock
    this.#authenticator = new PanelAuthenticator({
      panel: options.panel,
      throttle: new LoginThrottle({
        freeFailures: this.#limits.freeLoginFailures,
        baseDelayMs: this.#limits.loginDelayMs,
        maxDelayMs: this.#limits.maxLoginDelayMs,
        forgetAfterMs: this.#limits.forgetLoginFailuresMs,
        maxKeys: 10_000,
        clock: this.#clock,
      }),
      sessionsOfUser: (user) => this.#count((c) => c.identity?.user === user),
      maxSessionsPerUser: this.#limits.maxSessionsPerUser,
      clock: this.#clock,
      logger: this.#logger,
    })
  }

  /** The host key, once `listen` has loaded it. */
  get hostKey(): HostKey | undefined {
    return this.#hostKey
  }

  /** Open connections, logged in or not. */
  get connectionCount(): number {
    return this.#connections.size
  }

  /** Loads (or creates) the host key and starts listening. Resolves with the bound address. */
  async listen(): Promise<{ address: string; port: number }> {
    if (this.#listener) throw new Error('The SFTP server is already listening.')
    const hostKey = await loadOrCreateHostKey(this.#o.hostKeyPath)
    if (hostKey.created)
      this.#logger.info('created the sftp host key', { path: this.#o.hostKeyPath })
    if (hostKey.tightened) {
      this.#logger.warn('the sftp host key was readable by others; its mode is now 0600', {
        path: this.#o.hostKeyPath,
      })
    }
    this.#hostKey = hostKey
    const ssh = new ssh2.Server(
      { hostKeys: [hostKey.privateKey], algorithms: ALGORITHMS },
      (c, info) => this.#onClient(c, info),
    )
    ssh.on('error', (error: Error) =>
      this.#logger.error('ssh server error', { error: error.message }),
    )
    this.#ssh = ssh
    const listener = net.createServer((socket) => this.#onSocket(socket))
    listener.maxConnections = this.#limits.maxConnections
    this.#listener = listener
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject)
      listener.listen(this.#o.bindPort ?? 2022, this.#o.bindAddress ?? '0.0.0.0', () => {
        listener.off('error', reject)
        resolve()
      })
    })
    listener.on('error', (error) =>
      this.#logger.error('sftp listener error', { error: error.message }),
    )
    const { address, port } = listener.address() as AddressInfo
    this.#logger.info('sftp server listening for connections', {
      listen: `${address}:${port}`,
      public_key: hostKey.publicKey,
    })
    return { address, port }
  }

  /** Closes every session on `serverUuid` (suspended, deleted, or its users changed). */
  disconnectServer(serverUuid: string): number {
    return this.#disconnect((identity) => identity.server === serverUuid, 'server access revoked')
  }

  /** Closes the sessions of `userUuid`: on `serverUuid` only, or on every server when omitted. */
  disconnectUser(userUuid: string, serverUuid?: string): number {
    return this.#disconnect(
      (identity) =>
        identity.user === userUuid && (serverUuid === undefined || identity.server === serverUuid),
      'user access revoked',
    )
  }

  /** Closes every connection, logged in or not. */
  disconnectAll(): number {
    const all = [...this.#connections]
    for (const connection of all) connection.close('all sessions closed')
    return all.length
  }

  /** Stops listening and closes every connection; resolves once all files are released. */
  async close(): Promise<void> {
    const listener = this.#listener
    this.#listener = undefined
    const stopped = listener
      ? new Promise<void>((resolve) => listener.close(() => resolve()))
      : Promise.resolve()
    const connections = [...this.#connections]
    for (const connection of connections) connection.close('sftp server shutting down')
    await Promise.all([stopped, ...connections.map((c) => c.closed)])
  }

  #onSocket(socket: Socket): void {
    const raw = socket.remoteAddress
    if (raw === undefined || socket.remotePort === undefined) {
      socket.destroy()
      return
    }
    const ip = raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice(7) : raw
    const fromAddress = this.#perAddress.get(ip) ?? 0
    if (fromAddress >= this.#limits.maxConnectionsPerAddress) {
      this.#logger.warn('refusing sftp connection: too many from this address', { ip })
      socket.destroy()
      return
    }
    socket.setNoDelay(true)
    const connection = new SftpConnection({
      socket,
      ip,
      port: socket.remotePort,
      authenticator: this.#authenticator,
      lookup: this.#o.servers,
      readOnly: this.#o.readOnly ?? false,
      keyOnly: this.#o.keyOnly ?? false,
      limits: this.#limits,
      onActivity: this.#o.onActivity,
      clock: this.#clock,
      logger: this.#logger,
    })
    const endpoint = `${raw}|${socket.remotePort}`
    this.#connections.add(connection)
    this.#byEndpoint.set(endpoint, connection)
    this.#perAddress.set(ip, fromAddress + 1)
    socket.once('close', () => {
      this.#connections.delete(connection)
      this.#byEndpoint.delete(endpoint)
      const left = (this.#perAddress.get(ip) ?? 1) - 1
      if (left > 0) this.#perAddress.set(ip, left)
      else this.#perAddress.delete(ip)
    })
    this.#ssh!.injectSocket(socket)
  }

  #onClient(client: Connection, info: ClientInfo): void {
    const connection = this.#byEndpoint.get(`${info.ip}|${info.port}`)
    if (connection === undefined) {
      client.on('error', () => undefined)
      client.end()
      return
    }
    connection.attach(client, info)
  }

  #disconnect(
    matches: (identity: NonNullable<SftpConnection['identity']>) => boolean,
    reason: string,
  ): number {
    let closed = 0
    for (const connection of this.#connections) {
      const identity = connection.identity
      if (identity === undefined || !matches(identity)) continue
      connection.close(reason)
      closed++
    }
    return closed
  }

  #count(predicate: (connection: SftpConnection) => boolean): number {
    let count = 0
    for (const connection of this.#connections) if (predicate(connection)) count++
    return count
  }
}
