export { PANEL_BACKOFF, ExponentialBackoff, type BackoffOptions } from './exponential-backoff.js'
export {
  fetchNodeConfiguration,
  INVALID_API_KEY,
  type FetchNodeConfigurationOptions,
} from './fetch-node-configuration.js'
export { formatActivityTimestamp } from './format-activity-timestamp.js'
export {
  HttpPanelGateway,
  panelConnectionProblems,
  type HttpPanelGatewayOptions,
  type PanelConnection,
  type PanelConnectionProblem,
} from './http-panel-gateway.js'
export { InvalidPanelDataError } from './invalid-panel-data-error.js'
export {
  decodePanelError,
  formatPanelError,
  MISSING_RESPONSE_CODE,
  PanelCallError,
  type PanelCallErrorOptions,
  type PanelErrorResponse,
} from './panel-call-error.js'
export {
  parseBackupUploadParts,
  parseInstallationScript,
  parseSftpAuthResult,
} from './parse-remote-responses.js'
export {
  parseServerConfiguration,
  type ParseServerConfigurationOptions,
} from './parse-server-configuration.js'
export { parseServerListPage, type ServerListPage } from './parse-server-list-page.js'
export { retryWithBackoff, type RetryOptions } from './retry-with-backoff.js'
export {
  serverConfigurationToWire,
  type ServerConfigurationToWireOptions,
  type ServerConfigurationWire,
} from './server-configuration-to-wire.js'
