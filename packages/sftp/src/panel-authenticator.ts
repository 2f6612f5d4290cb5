import type { PanelGateway } from '@node/server-state'
import { isDaemonError, type Clock, type Logger } from '@node/shared-kernel'

import type { LoginThrottle } from './login-throttle.js'
import { Permissions } from './permissions.js'

/** `<panel user>.<8-character server id>`, checked before the Panel is asked (spec §11). */
export const SFTP_USERNAME = /^(.+)\.([a-z0-9]{8})$/i

/** One login attempt, as the Panel's SFTP auth call takes it. */
export interface LoginAttempt {
  readonly type: 'password' | 'public_key'
  readonly username: string
  /** The password, or the public key in authorized_keys form with its trailing newline. */
  readonly secret: string
  /** The client's address without the port. */
  readonly ip: string
  readonly port: number
  readonly sessionId: Buffer
  readonly clientVersion: Buffer
}

/** Who logged in, and what the Panel lets them do. */
export interface SftpIdentity {
  readonly username: string
  /** The Panel user's uuid. */
  readonly user: string
  /** The server's uuid. */
  readonly server: string
  readonly permissions: Permissions
}

export type LoginOutcome =
  | { readonly ok: true; readonly identity: SftpIdentity }
  | { readonly ok: false; readonly reason: LoginRefusal }

/** Why a login was refused; only `credentials` and `format` count as failures of the client. */
type LoginRefusal =
  | 'format'
  | 'throttled'
  | 'credentials'
  | 'panel-error'
  | 'no-sftp-permission'
  | 'too-many-sessions'
  | 'aborted'

export interface PanelAuthenticatorOptions {
  readonly panel: Pick<PanelGateway, 'validateSftpCredentials'>
  readonly throttle: LoginThrottle
  /** Live sessions of a Panel user on this node, for the per-user cap. */
  readonly sessionsOfUser: (user: string) => number
  readonly maxSessionsPerUser: number
  readonly clock: Clock
  readonly logger: Logger
}

/**
 * Checks SFTP credentials with the Panel (panel-remote-calls §7) after the local checks: the
 * username's form, and the failed-login throttle of the address and of the username. Never logs
 * the secret.
 */
export class PanelAuthenticator {
  readonly #o: PanelAuthenticatorOptions

  constructor(options: PanelAuthenticatorOptions) {
    this.#o = options
  }

  async authenticate(attempt: LoginAttempt, signal: AbortSignal): Promise<LoginOutcome> {
    const { throttle, logger } = this.#o
    const log = logger.child({ method: attempt.type, username: attempt.username, ip: attempt.ip })
    const keys = [`ip:${attempt.ip}`, `user:${attempt.username.toLowerCase()}`]
    if (!SFTP_USERNAME.test(attempt.username)) {
      log.warn('failed to validate user credentials (invalid format)')
      throttle.failed(keys)
      return refused('format')
    }
    const decision = throttle.admit(keys)
    if (decision === 'refuse') {
      log.warn('refusing login attempt: too many recent failures')
      return refused('throttled')
    }
    if (decision.delayMs > 0) {
      log.debug('delaying login attempt after recent failures', { delay_ms: decision.delayMs })
      if (!(await sleep(decision.delayMs, this.#o.clock, signal))) return refused('aborted')
    }
    log.debug('validating credentials for SFTP connection')
    let result
    try {
      result = await this.#o.panel.validateSftpCredentials(
        {
          type: attempt.type,
          username: attempt.username,
          password: attempt.secret,
          ip: hostPort(attempt.ip, attempt.port),
          sessionId: attempt.sessionId,
          clientVersion: attempt.clientVersion,
        },
        signal,
      )
    } catch (error) {
      if (signal.aborted) return refused('aborted')
      if (isDaemonError(error) && error.code === 'DENIED') {
        log.warn('failed to validate user credentials (invalid username or password)')
        throttle.failed(keys)
        return refused('credentials')
      }
      log.error('encountered an error while trying to validate user credentials', {
        error: (error as Error).message,
      })
      return refused('panel-error')
    }
    const permissions = new Permissions(result.permissions)
    if (!permissions.has('file.sftp')) {
      log.warn('refusing login: the user has no SFTP permission on the server', {
        server: result.server,
      })
      return refused('no-sftp-permission')
    }
    if (this.#o.sessionsOfUser(result.user) >= this.#o.maxSessionsPerUser) {
      log.warn('refusing login: too many sessions for this user', { user: result.user })
      return refused('too-many-sessions')
    }
    throttle.succeeded(keys[1]!)
    log.debug('credentials validated and matched to server instance', { server: result.server })
    return {
      ok: true,
      identity: {
        username: attempt.username,
        user: result.user,
        server: result.server,
        permissions,
      },
    }
  }
}

function refused(reason: LoginRefusal): LoginOutcome {
  return { ok: false, reason }
}

/** `host:port`, IPv6 in brackets, as the reference sends `ip` (panel-remote-calls §7). */
function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, clock: Clock, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const onAbort = (): void => {
      cancel()
      resolve(false)
    }
    const cancel = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
