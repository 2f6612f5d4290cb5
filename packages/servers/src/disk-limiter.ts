import type { Jail } from '@node/filesystem-jail'
import { NOTICES, type ServerRuntime } from '@node/power'

/** Grace of the stop of a server over its disk limit (behaviour §3.4: 1 min, then kill). */
const DISK_LIMIT_STOP_MS = 60_000

/**
 * Behaviour §8.3: on every stats sample of a running server, the cached usage (stale-ok; a stale
 * figure starts a walk) is compared with the limit. Once per start, a server over it gets the
 * notice and is stopped. Returns the function that stops watching.
 */
export function watchDiskLimit(runtime: ServerRuntime, jail: Jail): () => void {
  const server = runtime.server
  let stoppedThisRun = false
  const unsubscribe = [
    server.events.subscribe('status', (state) => {
      if (state === 'starting') stoppedThisRun = false
    }),
    server.events.subscribe('stats', () => {
      if (stoppedThisRun) return
      if (server.state !== 'running' && server.state !== 'starting') return
      const limit = jail.quota.limitBytes
      void jail.diskUsage('stale-ok')
      if (limit === 0 || jail.quota.usage.current <= limit) return
      stoppedThisRun = true
      runtime.notice(NOTICES.diskExceeded)
      runtime.stopWithin(DISK_LIMIT_STOP_MS, true).catch((err: unknown) => {
        server.logger.error('failed to stop a server over its disk limit', { err })
      })
    }),
  ]
  return () => {
    for (const stop of unsubscribe) stop()
  }
}
