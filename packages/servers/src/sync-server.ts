import type { HostedServer } from './hosted-server.js'
import type { NodeServers } from './node-servers.js'

/**
 * `POST /api/servers/:server/sync` (http-api §6.8), also run before an install: the Panel's
 * configuration is fetched again and applied in place. Every failure, a Panel 404 included,
 * rejects with a plain Error (the generic 500), its cause kept for the log.
 */
export class SyncServer {
  readonly #servers: NodeServers

  constructor(servers: NodeServers) {
    this.#servers = servers
  }

  async execute(hosted: HostedServer): Promise<void> {
    try {
      await this.#servers.sync(hosted)
    } catch (err) {
      throw new Error(`failed to sync server ${hosted.uuid} with the Panel`, { cause: err })
    }
  }
}
