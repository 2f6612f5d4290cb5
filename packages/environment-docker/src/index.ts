export {
  containerResources,
  installerBuildLimits,
  memoryMultiplier,
  permittedMounts,
  portBindings,
  type ContainerResources,
} from './container-spec.js'
export { DockerEnvironment } from './docker-environment.js'
export { DockerEnvironmentFactory } from './docker-environment-factory.js'
export {
  DEFAULT_LOG_CONFIG,
  DEFAULT_NETWORK,
  DEFAULT_OVERHEAD,
  type ContainerHostSettings,
  type DockerEnvironmentOptions,
  type DockerLogConfig,
  type DockerNetworkOptions,
  type DockerNetworkState,
  type InstallerLimits,
  type MemoryOverhead,
  type RegistryCredentials,
} from './docker-environment-options.js'
