import type Docker from 'dockerode'

import { DockerEnvironmentFactory } from '@node/environment-docker'
import { ProcessEnvironmentFactory } from '@node/environment-process'
import type { EnvironmentFactory } from '@node/server-state'
import type { Logger } from '@node/shared-kernel'

import type { DaemonConfig } from '../config/schema.js'

/** The environment factory of this node with what boot must do before servers start. */
export interface NodeEnvironment {
  readonly kind: 'docker' | 'process'
  readonly factory: EnvironmentFactory
  /** Docker: creates the daemon's network when missing (behaviour §1). */
  prepare(): Promise<void>
  /**
   * Daemon shutdown. Containers run on and are adopted at the next boot; child processes cannot
   * be adopted, so each is stopped (its stop command or signal) and killed after `graceMs`.
   */
  release(graceMs: number): Promise<void>
  /** A second stop signal: child processes are killed at once. */
  releaseNow(): Promise<void>
}

/** `system.environment` picks the adapter; `docker.*` keys of config.yml become its options. */
export function createNodeEnvironment(
  config: DaemonConfig,
  docker: Docker | undefined,
  logger: Logger,
): NodeEnvironment {
  const dataDirectory = config.system.data
  if (config.system.environment === 'process' || docker === undefined) {
    const factory = new ProcessEnvironmentFactory({
      dataDirectory,
      logger: logger.child({ component: 'environment' }),
    })
    return {
      kind: 'process',
      factory,
      prepare: () => Promise.resolve(),
      release: (graceMs) => factory.stopAll(graceMs),
      releaseNow: () => factory.killAll(),
    }
  }
  const d = config.docker
  const rootless = config.system.user.rootless
  const factory = new DockerEnvironmentFactory({
    docker,
    dataDirectory,
    network: {
      name: d.network.name,
      driver: d.network.driver,
      networkMode: d.network.network_mode,
      interface: d.network.interface,
      ispn: d.network.ispn,
      dns: d.network.dns,
      isInternal: d.network.is_internal,
      enableIcc: d.network.enable_icc,
      mtu: d.network.network_mtu,
      v4: d.network.interfaces.v4,
      v6: d.network.interfaces.v6,
    },
    domainname: d.domainname,
    tmpfsSizeMiB: d.tmpfs_size,
    containerPidLimit: d.container_pid_limit,
    logConfig: d.log_config,
    registries: d.registries,
    user: rootless.enabled
      ? { uid: rootless.container_uid, gid: rootless.container_gid }
      : { uid: config.system.user.uid, gid: config.system.user.gid },
    usernsMode: d.userns_mode,
    overhead: {
      override: d.overhead.override,
      defaultMultiplier: d.overhead.default_multiplier,
      multipliers: d.overhead.multipliers,
    },
    allowedMounts: config.allowed_mounts,
    installerLimits: d.installer_limits,
    logger: logger.child({ component: 'environment' }),
  })
  return {
    kind: 'docker',
    factory,
    prepare: async () => {
      await factory.ensureNetwork()
    },
    release: () => Promise.resolve(),
    releaseNow: () => Promise.resolve(),
  }
}
