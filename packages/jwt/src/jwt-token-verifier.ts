import { createSecretKey, type KeyObject } from 'node:crypto'

import {
  DeniedError,
  InvalidTokenError,
  NotFoundError,
  nullLogger,
  systemClock,
  TOKEN_ERROR_MESSAGES,
  type BackupDownloadTokenClaims,
  type Clock,
  type FileDownloadTokenClaims,
  type FileUploadTokenClaims,
  type Logger,
  type OneTimeTokenPurpose,
  type RedeemOptions,
  type TokenClaimsByPurpose,
  type TokenDenyList,
  type TokenPurpose,
  type TokenVerifier,
  type TransferTokenClaims,
  type WebsocketTokenClaims,
} from '@node/shared-kernel'
import jwt from 'jsonwebtoken'

import { BoundedTokenDenyList, DEFAULT_MAX_LIFETIME_SECONDS } from './bounded-token-deny-list.js'
import { grants } from './grants.js'
import { OneTimeStore } from './one-time-store.js'
import { TokenPayload } from './token-payload.js'

/**
 * What happens to tokens without a `scope` claim, as Panels before 1.12 sign them:
 * - `refuse`: a token must carry the scope of its purpose (Wings 1.12);
 * - `accept`: such a token is judged by its claims (a claim of another kind refuses it);
 * - `learn`: accepted as by `accept` until the first valid token that carries a scope, refused
 *   from then on; `scopeMemory` keeps what was learned.
 */
export type ScopelessTokens = 'refuse' | 'accept' | 'learn'

/** Whether this node's Panel was seen signing scoped tokens; the daemon keeps it across restarts. */
export interface ScopeMemory {
  /** True once a valid token carrying `scope` was seen. */
  readonly seen: boolean
  /** Records that one was seen; called once, synchronously, for the first such token. */
  remember(): void
}

export interface JwtTokenVerifierOptions {
  /**
   * The node's current `token` (config key `token`), read on every verification so that a token
   * rotated through `POST /api/update` applies at once. While it is empty every token is refused.
   */
  readonly nodeToken: () => string
  /** Default: the system clock. */
  readonly clock?: Clock
  /** Tokens without a `scope` claim: `refuse` (default), `accept` or `learn`. */
  readonly tokensWithoutScope?: ScopelessTokens
  /** What `learn` learned so far. Default: kept in memory, nothing seen yet. */
  readonly scopeMemory?: ScopeMemory
  /**
   * The revoked user tokens, consulted before a user token is accepted. Default: a
   * BoundedTokenDenyList of its own, booted now.
   */
  readonly denyList?: TokenDenyList
  /**
   * Longest `exp − iat` accepted (the Panel uses 600 and 900 s); give the deny list the same
   * bound. Default 3600.
   */
  readonly maxTokenLifetimeSeconds?: number
  /** Most `unique_id`s remembered at once. Default 100 000. */
  readonly maxOneTimeTokens?: number
  /** Receives a warning when a store reaches its limit. Default: drops everything. */
  readonly logger?: Logger
}

/** Longer tokens are refused before any decoding; the Panel's are under 1 KiB. */
const MAX_TOKEN_LENGTH = 16 * 1024
/** Wings remembers a used `unique_id` for 60 minutes (tokens.md §4.2). */
const ONE_TIME_REMEMBER_MS = 60 * 60 * 1000
/**
 * How far `iat` may lie in the future: the slack the Panel itself gives by back-dating `nbf`
 * 300 s, so a Panel clock a little ahead of the node does not break fresh tokens.
 */
const ISSUED_AT_LEEWAY_SECONDS = 300
const DEFAULT_MAX_ONE_TIME_TOKENS = 100_000
const CONNECT_PERMISSION = 'websocket.connect'

/**
 * Claims that mark a token as minted for another purpose. Only consulted for tokens without
 * `scope`, so that a Panel < 1.12 websocket token cannot open an upload, and so on.
 */
const FOREIGN_CLAIMS: Readonly<Record<TokenPurpose, readonly string[]>> = {
  websocket: ['file_path', 'backup_uuid', 'sub'],
  'file-download': ['permissions', 'backup_uuid', 'sub'],
  'file-upload': ['permissions', 'file_path', 'backup_uuid', 'sub'],
  'backup-download': ['permissions', 'file_path', 'sub'],
  transfer: ['permissions', 'file_path', 'backup_uuid', 'server_uuid', 'user_uuid'],
}

interface Times {
  readonly expiresAt: number
  readonly issuedAt: number | undefined
}

type OneTimeClaims = FileDownloadTokenClaims | FileUploadTokenClaims | BackupDownloadTokenClaims

/**
 * The TokenVerifier port on jsonwebtoken: HS256 with the node token; user tokens are checked
 * against the deny list, one-time ids are used up in memory.
 */
export class JwtTokenVerifier implements TokenVerifier {
  readonly #nodeToken: () => string
  readonly #clock: Clock
  readonly #scopeless: ScopelessTokens
  readonly #scopeMemory: ScopeMemory
  #warnedScopeless = false
  readonly #denyList: TokenDenyList
  readonly #maxLifetimeSeconds: number
  readonly #logger: Logger
  readonly #oneTime: OneTimeStore
  #key: { readonly secret: string; readonly key: KeyObject } | undefined

  constructor(options: JwtTokenVerifierOptions) {
    this.#nodeToken = options.nodeToken
    this.#clock = options.clock ?? systemClock
    this.#scopeless = options.tokensWithoutScope ?? 'refuse'
    this.#scopeMemory = options.scopeMemory ?? memoryOnly()
    this.#maxLifetimeSeconds = options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS
    this.#logger = options.logger ?? nullLogger
    this.#denyList =
      options.denyList ??
      new BoundedTokenDenyList({
        clock: this.#clock,
        maxTokenLifetimeSeconds: this.#maxLifetimeSeconds,
        logger: this.#logger,
      })
    this.#oneTime = new OneTimeStore({
      rememberMs: ONE_TIME_REMEMBER_MS,
      maxEntries: options.maxOneTimeTokens ?? DEFAULT_MAX_ONE_TIME_TOKENS,
    })
  }

  verify<P extends 'websocket' | 'transfer'>(
    token: string,
    purpose: P,
  ): Promise<TokenClaimsByPurpose[P]> {
    return settle((): TokenClaimsByPurpose['websocket' | 'transfer'] => {
      if (purpose === 'websocket') return this.#verifyWebsocket(token)
      if (purpose === 'transfer') return this.#verifyTransfer(token)
      throw new TypeError(`verify() takes 'websocket' or 'transfer', not ${String(purpose)}`)
    }) as Promise<TokenClaimsByPurpose[P]>
  }

  redeem<P extends OneTimeTokenPurpose>(
    token: string,
    purpose: P,
    options: RedeemOptions,
  ): Promise<TokenClaimsByPurpose[P]> {
    // Runs synchronously from the check of `unique_id` to its recording: no other call can
    // interleave, so concurrent requests with one token cannot both pass.
    return settle(() => this.#redeem(token, purpose, options) as TokenClaimsByPurpose[P])
  }

  /**
   * Whether a token without `scope` is accepted now (`accept`, or `learn` before the first scoped
   * token); the websocket policy asks it on every event.
   */
  acceptsScopeless(): boolean {
    return this.#scopeless === 'accept' || (this.#scopeless === 'learn' && !this.#scopeMemory.seen)
  }

  #verifyWebsocket(token: string): WebsocketTokenClaims {
    const payload = this.#decode(token)
    const times = this.#checkTimes(payload, 'websocket')
    const scopes = payload.scopes()
    const serverUuid = payload.uuid('server_uuid')
    const userUuid = payload.uuid('user_uuid')
    const jti = payload.id('jti')
    const permissions = payload.stringArray('permissions') ?? []
    const { expiresAt, issuedAt } = times
    if (serverUuid === undefined || userUuid === undefined || issuedAt === undefined) {
      throw new DeniedError(TOKEN_ERROR_MESSAGES.denylisted)
    }
    const claims: WebsocketTokenClaims = Object.freeze({
      serverUuid,
      userUuid,
      permissions,
      expiresAt,
      issuedAt,
      jti,
      scopes,
    })
    if (this.#denyList.isDenied(claims)) throw new DeniedError(TOKEN_ERROR_MESSAGES.denylisted)
    if (!grants(permissions, CONNECT_PERMISSION)) {
      throw new DeniedError(TOKEN_ERROR_MESSAGES.missingConnectPermission)
    }
    const scope = this.#scopeVerdict(payload, 'websocket')
    if (scope === 'missing') throw new DeniedError(TOKEN_ERROR_MESSAGES.missingScope)
    if (scope === 'wrong') throw new DeniedError(TOKEN_ERROR_MESSAGES.missingConnectPermission)
    return claims
  }

  #verifyTransfer(token: string): TransferTokenClaims {
    const payload = this.#decode(token)
    const { expiresAt, issuedAt } = this.#checkTimes(payload, 'transfer')
    if (this.#scopeVerdict(payload, 'transfer') !== 'ok') {
      throw new DeniedError(TOKEN_ERROR_MESSAGES.forbidden)
    }
    const subject = payload.uuid('sub')
    if (subject === undefined) throw new InvalidTokenError('claim sub is missing')
    return Object.freeze({
      serverUuid: subject.toLowerCase(),
      expiresAt,
      issuedAt,
      jti: payload.id('jti'),
      scopes: payload.scopes(),
    })
  }

  #redeem(token: string, purpose: OneTimeTokenPurpose, options: RedeemOptions): OneTimeClaims {
    const payload = this.#decode(token)
    const { expiresAt, issuedAt } = this.#checkTimes(payload, purpose)
    // Refusals after a valid signature all answer the same 404 (tokens.md §4.2).
    const refuse = () => new NotFoundError(TOKEN_ERROR_MESSAGES.resourceNotFound)
    if (this.#scopeVerdict(payload, purpose) !== 'ok') throw refuse()
    const serverUuid = payload.uuid('server_uuid')
    const userUuid = payload.uuid('user_uuid')
    const uniqueId = payload.id('unique_id')
    const common = { expiresAt, jti: payload.id('jti'), scopes: payload.scopes() }
    // Absent claims refuse like the reference, where an empty server_uuid is an unknown server,
    // an empty user_uuid or iat is denied, and an empty unique_id would be shared by all.
    if (
      serverUuid === undefined ||
      userUuid === undefined ||
      issuedAt === undefined ||
      uniqueId === undefined
    ) {
      throw refuse()
    }
    const user = { ...common, serverUuid, userUuid, issuedAt, uniqueId }
    let claims: OneTimeClaims
    if (purpose === 'file-download') {
      const filePath = payload.path('file_path')
      if (filePath === undefined) throw refuse()
      claims = Object.freeze({ ...user, filePath })
    } else if (purpose === 'backup-download') {
      const backupUuid = payload.uuid('backup_uuid')
      if (backupUuid === undefined) throw refuse()
      claims = Object.freeze({ ...user, backupUuid })
    } else if (purpose === 'file-upload') {
      claims = Object.freeze(user)
    } else {
      throw new TypeError(`redeem() does not take ${String(purpose)}`)
    }

    // Order of Wings 1.12: server, deny lists, then the id is used up.
    if (!options.hasServer(serverUuid)) throw refuse()
    if (this.#denyList.isDenied(claims)) throw refuse()
    const result = this.#oneTime.consume(uniqueId, (expiresAt + 1) * 1000, this.#clock.now())
    if (result === 'full') {
      this.#logger.warn('one-time token store is full: refusing download and upload tokens', {
        size: this.#oneTime.size,
      })
    }
    if (result !== 'consumed') throw refuse()
    return claims
  }

  #decode(token: string): TokenPayload {
    if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) {
      throw new InvalidTokenError('token is missing, too long or not a string')
    }
    const key = this.#currentKey()
    let decoded: jwt.Jwt
    try {
      // The algorithm is pinned: `none`, other HMACs and public-key algorithms all fail here.
      // Time claims are checked below with the Panel's whole-second rules and the injected clock.
      decoded = jwt.verify(token, key, {
        algorithms: ['HS256'],
        complete: true,
        ignoreExpiration: true,
        ignoreNotBefore: true,
      })
    } catch (err) {
      const reason = err instanceof Error ? err.message : 'unreadable token'
      throw new InvalidTokenError(`token rejected: ${reason}`, { cause: err })
    }
    if (decoded.header.alg !== 'HS256') throw new InvalidTokenError('token algorithm is not HS256')
    const payload = new TokenPayload(decoded.payload)
    payload.checkUncheckedClaims()
    return payload
  }

  #checkTimes(payload: TokenPayload, purpose: TokenPurpose): Times {
    const expiresAt = payload.integer('exp')
    const issuedAt = payload.integer('iat')
    const notBefore = payload.integer('nbf')
    if (expiresAt === undefined) throw new InvalidTokenError('claim exp is missing')
    const now = this.#nowSeconds()
    // Valid while the current whole second is at most `exp`, as in Wings.
    if (now > expiresAt) {
      // The websocket answers expiry with a `jwt error` the Panel's client reacts to.
      if (purpose === 'websocket') throw new DeniedError(TOKEN_ERROR_MESSAGES.expired)
      throw new InvalidTokenError(TOKEN_ERROR_MESSAGES.expired)
    }
    if (notBefore !== undefined && now < notBefore) {
      throw new InvalidTokenError('token is not valid yet (nbf)')
    }
    if (issuedAt !== undefined && issuedAt > now + ISSUED_AT_LEEWAY_SECONDS) {
      throw new InvalidTokenError('token was issued in the future (iat)')
    }
    if (expiresAt - (issuedAt ?? now) > this.#maxLifetimeSeconds) {
      throw new InvalidTokenError(`token lives longer than ${this.#maxLifetimeSeconds} s`)
    }
    // Signed with the node token and current: it speaks for the Panel's token format.
    if (payload.scopes() !== undefined) this.#learnScope()
    return { expiresAt, issuedAt }
  }

  /**
   * `ok`: the token may serve `purpose`. `wrong`: its scope, or for a scope-less token one of its
   * claims, names another purpose. `missing`: it has no scope and none is accepted (logged once,
   * naming the setting, as the HTTP answers cannot say it).
   */
  #scopeVerdict(payload: TokenPayload, purpose: TokenPurpose): 'ok' | 'wrong' | 'missing' {
    const scopes = payload.scopes()
    if (scopes !== undefined) return scopes.includes(purpose) ? 'ok' : 'wrong'
    if (!this.acceptsScopeless()) {
      if (!this.#warnedScopeless) {
        this.#warnedScopeless = true
        this.#logger.warn(
          'refusing a Panel token without a scope claim (config api.accept_tokens_without_scope)',
          { purpose, tokens_without_scope: this.#scopeless },
        )
      }
      return 'missing'
    }
    return FOREIGN_CLAIMS[purpose].some((name) => payload.has(name)) ? 'wrong' : 'ok'
  }

  #learnScope(): void {
    if (this.#scopeless !== 'learn' || this.#scopeMemory.seen) return
    this.#scopeMemory.remember()
    this.#logger.info(
      'the Panel signs tokens with a scope: tokens without one are refused from now on',
    )
  }

  #currentKey(): KeyObject {
    const secret = this.#nodeToken()
    // An empty HMAC key would let anyone sign tokens.
    if (typeof secret !== 'string' || secret === '') {
      throw new InvalidTokenError('no node token is configured')
    }
    if (this.#key?.secret !== secret) {
      this.#key = { secret, key: createSecretKey(Buffer.from(secret, 'utf8')) }
    }
    return this.#key.key
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock.now() / 1000)
  }
}

function memoryOnly(): ScopeMemory {
  const memory = {
    seen: false,
    remember: () => {
      memory.seen = true
    },
  }
  return memory
}

/** Runs `work` now and reports its result or throw as a promise. */
function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()))
}
