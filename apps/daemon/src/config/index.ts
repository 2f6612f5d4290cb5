// The daemon's configuration: what the composition root and the CLI import.
export {
  applyPanelUpdate,
  mergePanelConfiguration,
  PANEL_UPDATE_REJECTED,
  PanelUpdateRejectedError,
  type PanelUpdateResult,
} from './apply-panel-update.js'
export { editConfig, type Draft } from './edit-config.js'
export {
  checkConfig,
  ConfigInvalidError,
  ConfigNotFoundError,
  configNotFoundNotice,
  defaultConfig,
  loadConfig,
  type EnvOverride,
  type LoadConfigOptions,
  type LoadedConfig,
} from './load-config.js'
export { redactConfig } from './redact-config.js'
export { saveConfig, toConfigYaml, type SaveConfigOptions } from './save-config.js'
export { configSchema, DEFAULT_CONFIG_PATH, type DaemonConfig } from './schema.js'
export {
  apiListenOptions,
  daemonPaths,
  panelClientOptions,
  sftpListenOptions,
  type ApiListenSettings,
  type DaemonPaths,
  type PanelClientSettings,
  type SftpListenSettings,
} from './to-options.js'
