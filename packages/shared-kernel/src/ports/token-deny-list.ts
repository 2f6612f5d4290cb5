import type { UserTokenClaims } from './token-verifier.js'

/**
 * The user tokens this node no longer accepts: those issued before it booted, and those the Panel
 * revoked (`ws/deny`, `deauthorize-user`). Verification and the websocket consult it; the server
 * use cases record revocations. Adapter: @node/jwt (in memory, bounded).
 */
export interface TokenDenyList {
  /** Whether a user token is denied: issued before boot, or at or before a matching denial. */
  isDenied(claims: Pick<UserTokenClaims, 'serverUuid' | 'userUuid' | 'jti' | 'issuedAt'>): boolean
  /** `ws/deny`: every user token with one of these `jti`s issued up to now is denied. */
  denyJtis(jtis: readonly string[]): void
  /**
   * `deauthorize-user`: every token of `userUuid` for these servers ('all': for any server)
   * issued up to now is denied.
   */
  deauthorizeUser(userUuid: string, servers: readonly string[] | 'all'): void
}
