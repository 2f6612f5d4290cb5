export {
  ConsoleBuffer,
  DEFAULT_CONSOLE_LINES,
  DEFAULT_MAX_LINE_LENGTH,
  type ConsoleBufferOptions,
} from './console-buffer.js'
export {
  ConsoleLineSplitter,
  MAX_CONSOLE_LINE_LENGTH,
} from './environment/console-line-splitter.js'
export { EnvironmentEventEmitter } from './environment/environment-event-emitter.js'
export { FileStateStore, type FileStateStoreOptions } from './file-state-store.js'
export {
  ZERO_RESOURCE_SAMPLE,
  type ResourceSample,
  type ResourceUsage,
} from './model/resource-usage.js'
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
export {
  SERVER_EVENT_NAMES,
  type BackupCompleted,
  type ServerEvent,
  type ServerEventName,
  type ServerEvents,
  type TransferStatus,
} from './model/server-events.js'
export { isServerState, SERVER_STATES, type ServerState } from './model/server-state.js'
export {
  findConfigurationProblems,
  InvalidConfigurationError,
  validateServerConfiguration,
} from './model/validate-server-configuration.js'
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
export {
  environmentSettingsOf,
  environmentVariables,
  formatEnvironmentValue,
  type Environment,
  type EnvironmentEventName,
  type EnvironmentEvents,
  type EnvironmentFactory,
  type EnvironmentListener,
  type EnvironmentSettings,
  type EnvironmentVariable,
  type EnvironmentVariableOptions,
  type ExitState,
  type ImagePullEvent,
  type InstallerSettings,
} from './ports/environment.js'
export type { SavedStates, StateStore } from './ports/state-store.js'
export { Server, type ServerOptions } from './server.js'
export {
  ServerEventBus,
  type AnyServerEventListener,
  type ServerEventBusOptions,
  type ServerEventListener,
} from './server-event-bus.js'
export {
  DEFAULT_STATE_PERSIST_INTERVAL_MS,
  SERVER_NOT_FOUND,
  ServerManager,
  type BootOptions,
  type BootReport,
  type ServerManagerOptions,
} from './server-manager.js'
