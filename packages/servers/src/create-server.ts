import type { DeleteServer } from './delete-server.js'
import type { InstallServer } from './install-server.js'
import type { NodeServers } from './node-servers.js'
import type { SyncServer } from './sync-server.js'

export interface CreateServerOptions {
  readonly servers: NodeServers
  readonly sync: SyncServer
  readonly delete: DeleteServer
  readonly install: InstallServer
}

interface PendingCreate {
  readonly cancel: AbortController
  /** Settles (never rejects) once the create ended, undone when it was cancelled. */
  readonly settled: Promise<void>
}

const noop = (): void => undefined

/**
 * `POST /api/servers` (http-api §5.4): the server's configuration is fetched from the Panel, the
 * server joins the node, and its install runs in the background. A DELETE of the uuid meanwhile
 * wins (`cancel`).
 */
export class CreateServer {
  readonly #o: CreateServerOptions
  /** Creates waiting for the Panel's configuration; a DELETE of their uuid cancels them. */
  readonly #creating = new Map<string, PendingCreate>()

  constructor(options: CreateServerOptions) {
    this.#o = options
  }

  /**
   * Cancelled when `signal` aborts (the Panel's request went away) or the uuid is deleted
   * meanwhile (`cancel`): a server whose create was cancelled is removed again with everything
   * made for it, and the call rejects. A uuid this node hosts already is synced instead
   * (docs/compatibility.md: a repeated create re-applies the configuration, never duplicates).
   */
  async execute(uuid: string, startOnCompletion: boolean, signal?: AbortSignal): Promise<void> {
    const existing = this.#o.servers.get(uuid)
    if (existing !== undefined) {
      await this.#o.sync.execute(existing)
      return
    }
    const cancel = new AbortController()
    const cancelled = signal ? AbortSignal.any([signal, cancel.signal]) : cancel.signal
    const work = this.#create(uuid, startOnCompletion, cancelled)
    this.#creating.set(uuid, { cancel, settled: work.then(noop, noop) })
    try {
      await work
    } finally {
      this.#creating.delete(uuid)
    }
  }

  /**
   * A DELETE of a server still being created: cancels that create and resolves once it is undone
   * (true), or resolves false at once when no create of `uuid` is under way.
   */
  async cancel(uuid: string): Promise<boolean> {
    const pending = this.#creating.get(uuid)
    if (pending === undefined) return false
    pending.cancel.abort(new Error('the server was deleted while it was being created'))
    await pending.settled
    return true
  }

  async #create(uuid: string, startOnCompletion: boolean, signal: AbortSignal): Promise<void> {
    let hosted
    try {
      hosted = await this.#o.servers.join(uuid, signal)
    } catch (err) {
      // http-api §5.4: a Panel fetch or init failure, a Panel 404 included, is the generic 500.
      throw new Error(`failed to create server ${uuid} from the Panel`, { cause: err })
    }
    if (signal.aborted) {
      // Joined just as it was cancelled: it leaves again with whatever was made for it.
      await this.#o.delete.execute(hosted)
      throw new Error(`the create of server ${uuid} was cancelled`, { cause: signal.reason })
    }
    this.#o.install.afterCreate(hosted, startOnCompletion)
  }
}
