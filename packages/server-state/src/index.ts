export type {
  Allocation,
  Allocations,
  BuildLimits,
  ConfigFileRewrite,
  ConfigReplacement,
  EnvironmentValue,
  Mount,
  ProcessConfiguration,
  ServerConfiguration,
  ServerSettings,
  StopType,
} from './model/server-configuration.js'
export { isServerState, SERVER_STATES, type ServerState } from './model/server-state.js'
export type {
  ActivityEntry,
  BackupStatus,
  BackupUploadParts,
  InstallationScript,
  InstallationStatus,
  PanelGateway,
  ServerListEntry,
  SftpAuthRequest,
  SftpAuthResult,
} from './ports/panel-gateway.js'
