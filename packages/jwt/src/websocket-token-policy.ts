import {
  systemClock,
  TOKEN_ERROR_MESSAGES,
  type Clock,
  type TokenDenyList,
  type WebsocketTokenClaims,
} from '@node/shared-kernel'

import { grants } from './grants.js'

const CONNECT_PERMISSION = 'websocket.connect'

export interface WebsocketTokenPolicyOptions {
  readonly denyList: TokenDenyList
  /** Whether a token without `scope` is accepted now (JwtTokenVerifier.acceptsScopeless). */
  readonly acceptsScopeless: () => boolean
  /** Default: the system clock. */
  readonly clock?: Clock
}

/**
 * What a websocket session asks of its token before each event in and out (websocket.md §4): it
 * is judged again every time, so a denial, a deauthorized user or the expiry takes effect without
 * a reconnect.
 */
export class WebsocketTokenPolicy {
  readonly #o: WebsocketTokenPolicyOptions
  readonly #clock: Clock

  constructor(options: WebsocketTokenPolicyOptions) {
    this.#o = options
    this.#clock = options.clock ?? systemClock
  }

  /**
   * The `jwt error` text the session answers with (expired, denied, no connect permission or
   * scope, another server; `undefined` claims mean no token yet), or undefined when the token may
   * still be used.
   */
  check(claims: WebsocketTokenClaims | undefined, serverUuid: string): string | undefined {
    if (claims === undefined) return TOKEN_ERROR_MESSAGES.noJwt
    if (Math.floor(this.#clock.now() / 1000) > claims.expiresAt) {
      return TOKEN_ERROR_MESSAGES.expired
    }
    if (this.#o.denyList.isDenied(claims)) return TOKEN_ERROR_MESSAGES.denylisted
    if (!grants(claims.permissions, CONNECT_PERMISSION)) {
      return TOKEN_ERROR_MESSAGES.missingConnectPermission
    }
    if (claims.scopes === undefined && !this.#o.acceptsScopeless()) {
      return TOKEN_ERROR_MESSAGES.missingScope
    }
    if (claims.scopes !== undefined && !claims.scopes.includes('websocket')) {
      return TOKEN_ERROR_MESSAGES.missingConnectPermission
    }
    if (claims.serverUuid !== serverUuid) return TOKEN_ERROR_MESSAGES.serverUuidMismatch
    return undefined
  }

  /** Whether the token grants `permission` (`*` grants all but `admin*`); false once denied. */
  hasPermission(claims: WebsocketTokenClaims, permission: string): boolean {
    return grants(claims.permissions, permission) && !this.#o.denyList.isDenied(claims)
  }
}
