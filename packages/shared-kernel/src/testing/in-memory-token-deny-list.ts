import type { TokenDenyList } from '../ports/token-deny-list.js'
import type { UserTokenClaims } from '../ports/token-verifier.js'

/**
 * A TokenDenyList that records what it was told, for unit tests: a token is denied when its `jti`
 * or its user (on its server, or on all) was revoked, whatever the times.
 */
export class InMemoryTokenDenyList implements TokenDenyList {
  readonly deniedJtis: string[] = []
  readonly deauthorized: { userUuid: string; servers: readonly string[] | 'all' }[] = []

  isDenied(claims: Pick<UserTokenClaims, 'serverUuid' | 'userUuid' | 'jti' | 'issuedAt'>): boolean {
    if (claims.jti !== undefined && this.deniedJtis.includes(claims.jti)) return true
    return this.deauthorized.some(
      ({ userUuid, servers }) =>
        userUuid === claims.userUuid && (servers === 'all' || servers.includes(claims.serverUuid)),
    )
  }

  denyJtis(jtis: readonly string[]): void {
    this.deniedJtis.push(...jtis)
  }

  deauthorizeUser(userUuid: string, servers: readonly string[] | 'all'): void {
    this.deauthorized.push({ userUuid, servers })
  }
}
