export {
  buildServerConfiguration,
  type ServerConfigurationOverrides,
} from './build-server-configuration.js'
export {
  InMemoryEnvironment,
  InMemoryEnvironmentFactory,
  type InMemoryEnvironmentCall,
} from './in-memory-environment.js'
export {
  DEFAULT_INSTALLATION_SCRIPT,
  InMemoryPanelGateway,
  type FakeSftpUser,
  type PanelGatewayCall,
  type PanelGatewayMethod,
} from './in-memory-panel-gateway.js'
export { InMemoryStateStore } from './in-memory-state-store.js'
export {
  describePanelGatewayContract,
  type PanelGatewayContractSubject,
} from './panel-gateway-contract.js'
export { describeStateStoreContract } from './state-store-contract.js'
