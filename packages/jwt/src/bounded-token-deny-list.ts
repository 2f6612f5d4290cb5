import {
  nullLogger,
  systemClock,
  type Clock,
  type Logger,
  type TokenDenyList,
  type UserTokenClaims,
} from '@node/shared-kernel'

import { DenyList } from './deny-list.js'
import { isUuid, MAX_ID_LENGTH } from './token-payload.js'

export interface BoundedTokenDenyListOptions {
  /** Default: the system clock. */
  readonly clock?: Clock
  /** The daemon's start instant (ms); user tokens issued before it are denied. Default: now. */
  readonly bootedAt?: number
  /**
   * Longest `exp − iat` the verifier accepts (seconds, default 3600): a denial older than that
   * can match no token that is still valid, so it is forgotten.
   */
  readonly maxTokenLifetimeSeconds?: number
  /** Most entries in each list (jti, server:user). Default 10 000. */
  readonly maxDeniedEntries?: number
  /** Warned when a list is full. Default: drops everything. */
  readonly logger?: Logger
}

export const DEFAULT_MAX_LIFETIME_SECONDS = 3600
const DEFAULT_MAX_DENIED_ENTRIES = 10_000

/**
 * The TokenDenyList port in memory (Wings 1.12's rules): tokens issued before boot, and tokens
 * issued at or before a denial of their `jti` or their user. Bounded: see DenyList.
 */
export class BoundedTokenDenyList implements TokenDenyList {
  readonly #clock: Clock
  readonly #bootedAt: number
  readonly #logger: Logger
  readonly #jtis: DenyList
  readonly #users: DenyList

  constructor(options: BoundedTokenDenyListOptions = {}) {
    this.#clock = options.clock ?? systemClock
    this.#bootedAt = options.bootedAt ?? this.#clock.now()
    this.#logger = options.logger ?? nullLogger
    const lifetimeSeconds = options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS
    // A denial at T matches tokens issued by T, valid at most until T + lifetime (+ the second
    // in which `exp` falls); after that the entry can match nothing that would pass `exp`.
    const listOptions = {
      retainMs: (lifetimeSeconds + 1) * 1000,
      maxEntries: options.maxDeniedEntries ?? DEFAULT_MAX_DENIED_ENTRIES,
    }
    this.#jtis = new DenyList(listOptions)
    this.#users = new DenyList(listOptions)
  }

  isDenied(claims: Pick<UserTokenClaims, 'serverUuid' | 'userUuid' | 'jti' | 'issuedAt'>): boolean {
    const { serverUuid, userUuid, jti, issuedAt } = claims
    // Fails closed: a token lacking what revocation is judged on cannot be accepted.
    if (!Number.isSafeInteger(issuedAt) || !serverUuid || !userUuid) return true
    const issuedMs = issuedAt * 1000
    // Wings compares whole-second `iat` with a full-precision boot instant, so a token minted in
    // the boot's own second is refused too.
    if (issuedMs < this.#bootedAt) return true
    if (issuedMs <= this.#jtis.floor || issuedMs <= this.#users.floor) return true
    const now = this.#clock.now()
    const deniedAt = [
      jti === undefined ? undefined : this.#jtis.deniedAt(jti, now),
      this.#users.deniedAt(userKey(serverUuid, userUuid), now),
      this.#users.deniedAt(userKey('*', userUuid), now),
    ]
    // [v1.12] `iat <= denied_at`: a token minted in the same second as the denial is refused.
    return deniedAt.some((at) => at !== undefined && issuedMs <= at)
  }

  denyJtis(jtis: readonly string[]): void {
    const now = this.#clock.now()
    for (const jti of jtis) {
      // Longer or empty ids cannot be the `jti` of a token the verifier accepts.
      if (typeof jti !== 'string' || jti === '' || jti.length > MAX_ID_LENGTH) continue
      if (this.#jtis.deny(jti, now)) this.#warnFolded('jti')
    }
  }

  deauthorizeUser(userUuid: string, servers: readonly string[] | 'all'): void {
    // Accepted tokens carry UUIDs; anything else could match none of them.
    if (typeof userUuid !== 'string' || !isUuid(userUuid)) return
    const now = this.#clock.now()
    const serverKeys = servers === 'all' ? ['*'] : servers.filter((s) => isUuid(s))
    for (const server of serverKeys) {
      if (this.#users.deny(userKey(server, userUuid), now)) this.#warnFolded('user')
    }
  }

  #warnFolded(list: 'jti' | 'user'): void {
    this.#logger.warn('deny list is full: denying every token issued up to its oldest entry', {
      list,
    })
  }
}

function userKey(server: string, user: string): string {
  return `${server.toLowerCase()}:${user.toLowerCase()}`
}
