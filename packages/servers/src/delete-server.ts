import type { HostedServer } from './hosted-server.js'
import type { NodeServers } from './node-servers.js'

/**
 * How long a delete waits for the server's work in flight (create, install, power) to end; that
 * work was cancelled with the server, so it ends at its next step. Whatever it makes after this
 * wait is removed when it ends.
 */
export const DELETE_SETTLE_MS = 15_000

export interface DeleteServerOptions {
  readonly servers: NodeServers
  /** Default DELETE_SETTLE_MS. */
  readonly settleMs?: number
}

/**
 * `DELETE /api/servers/:server` (http-api §6.2), in the reference's order: the server is
 * suspended so nothing can start it, its sockets hear `deleted`, it is cancelled (its work in
 * flight stops at its next step), then it leaves the node with its runtime, jail and files.
 */
export class DeleteServer {
  readonly #servers: NodeServers
  readonly #settleMs: number
  readonly #deleting = new Map<HostedServer, Promise<void>>()

  constructor(options: DeleteServerOptions) {
    this.#servers = options.servers
    this.#settleMs = options.settleMs ?? DELETE_SETTLE_MS
  }

  /**
   * Resolves once the server's work in flight has ended (bounded) and its runtime is gone; its
   * files are removed in the background after that, as the reference does. A second delete of
   * the same server waits for the first.
   */
  execute(hosted: HostedServer): Promise<void> {
    const running = this.#deleting.get(hosted)
    if (running !== undefined) return running
    const deleting = this.#delete(hosted).finally(() => this.#deleting.delete(hosted))
    this.#deleting.set(hosted, deleting)
    return deleting
  }

  async #delete(hosted: HostedServer): Promise<void> {
    const { server } = hosted
    server.forceSuspended()
    if (server.isTransferring) server.events.publish('transfer status', 'completed')
    server.events.publish('deleted', undefined)
    server.cancel()
    await this.#servers.remove(hosted, this.#settleMs)
  }
}
