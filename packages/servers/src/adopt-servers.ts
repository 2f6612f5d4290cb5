import type { ServerState } from '@node/server-state'

import type { HostedServer } from './hosted-server.js'

/** Servers reconciled at once at boot (behaviour §1 step 12). */
const ADOPT_CONCURRENCY = 4

/**
 * Boot (behaviour §1 step 12): each server's process that outlived the daemon is adopted, and a
 * server whose saved state says it ran but has no process is started again. A failure is logged
 * on its server and the others go on.
 */
export async function adoptServers(
  servers: readonly HostedServer[],
  saved: ReadonlyMap<string, ServerState>,
): Promise<void> {
  const queue = [...servers]
  const worker = async (): Promise<void> => {
    for (let hosted = queue.shift(); hosted; hosted = queue.shift()) {
      await hosted.runtime.reconcile(saved.get(hosted.uuid)).catch((err: unknown) => {
        hosted.server.logger.error('failed to restore the server state at boot', { err })
      })
    }
  }
  await Promise.all(Array.from({ length: ADOPT_CONCURRENCY }, worker))
}
