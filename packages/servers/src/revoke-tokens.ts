import type { TokenDenyList } from '@node/shared-kernel'

import type { HostedServer } from './hosted-server.js'
import type { NodeServers } from './node-servers.js'

export interface RevokeTokensOptions {
  readonly servers: NodeServers
  readonly denyList: TokenDenyList
}

/**
 * The Panel takes back what it granted (http-api §6.9, §5.5): tokens by `jti`, or every token of
 * a user on some servers or all. Users whose access ends are told through `deauthorized`.
 */
export class RevokeTokens {
  readonly #o: RevokeTokensOptions

  constructor(options: RevokeTokensOptions) {
    this.#o = options
  }

  /** `POST /api/servers/:server/ws/deny`. */
  denyJtis(jtis: readonly string[]): void {
    this.#o.denyList.denyJtis(jtis)
  }

  /** `POST /api/deauthorize-user`: `all` when the Panel names no server. */
  deauthorizeUser(userUuid: string, servers: readonly HostedServer[] | 'all'): void {
    this.#o.denyList.deauthorizeUser(
      userUuid,
      servers === 'all' ? 'all' : servers.map((hosted) => hosted.uuid),
    )
    const affected = servers === 'all' ? this.#o.servers.all() : servers
    this.#o.servers.events.emit('deauthorized', { userUuid, servers: affected })
  }
}
