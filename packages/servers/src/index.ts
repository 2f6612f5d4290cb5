export { adoptServers } from './adopt-servers.js'
export { CreateServer, type CreateServerOptions } from './create-server.js'
export { DELETE_SETTLE_MS, DeleteServer, type DeleteServerOptions } from './delete-server.js'
export { watchDiskLimit } from './disk-limiter.js'
export { chownTree } from './fix-permissions.js'
export { HostedServer, type HostedServerOptions } from './hosted-server.js'
export { InstallServer, type InstallServerOptions } from './install-server.js'
export { jailConfigFileIo } from './jail-config-file-io.js'
export { NodeServers, type NodeServersOptions } from './node-servers.js'
export { RevokeTokens, type RevokeTokensOptions } from './revoke-tokens.js'
export {
  ServerLifecycleEvents,
  type ServerLifecycleEvent,
  type ServerLifecycleEventMap,
} from './server-lifecycle-events.js'
export { ServerPower } from './server-power.js'
export type { ServersSettings } from './servers-settings.js'
export { startPreflight, type StartPreflightOptions } from './start-preflight.js'
export { SyncServer } from './sync-server.js'
