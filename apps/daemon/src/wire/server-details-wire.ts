import { serverConfigurationToWire } from '@node/panel-client'
import type { HostedServer } from '@node/servers'

import { utilizationWire } from './utilization-wire.js'

/** The body of `GET /api/servers/:server` and of each list entry (http-api §6.1, §5.3). */
export function serverDetailsWire(hosted: HostedServer, crashDetectionEnabled: boolean): unknown {
  // The jail's cached figure: answers at once, a stale one starts a walk for the next caller.
  hosted.diskBytes()
  const { server } = hosted
  return {
    state: server.state,
    is_suspended: server.isSuspended,
    utilization: utilizationWire(server.resourceUsage()),
    configuration: serverConfigurationToWire(server.configuration, { crashDetectionEnabled }),
  }
}
