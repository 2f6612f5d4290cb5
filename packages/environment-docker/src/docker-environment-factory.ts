import type { EnvironmentFactory, EnvironmentSettings, InstallerSettings } from '@node/server-state'
import type Docker from 'dockerode'

import { DockerEnvironment } from './docker-environment.js'
import type {
  ContainerHostSettings,
  DockerEnvironmentOptions,
  DockerNetworkState,
} from './docker-environment-options.js'
import { DockerHost } from './docker-host.js'

/**
 * Makes the DockerEnvironment of every server of this node; all share one Docker client and the
 * node-wide settings. Call `ensureNetwork` once at boot, before any server starts.
 */
export class DockerEnvironmentFactory implements EnvironmentFactory {
  readonly #host: DockerHost

  /** Throws a RangeError when an option is out of range. */
  constructor(options: DockerEnvironmentOptions) {
    this.#host = new DockerHost(options)
  }

  /** The Docker client every environment uses. */
  get docker(): Docker {
    return this.#host.docker
  }

  /** The node-wide settings with every default filled in, as containers are built from them. */
  get hostSettings(): ContainerHostSettings {
    return this.#host.settings
  }

  /**
   * Creates the daemon's network when missing (behaviour §6.4) and takes the interface and ISPN
   * its driver implies; the result is what Wings writes back to config.yml.
   */
  ensureNetwork(signal?: AbortSignal): Promise<DockerNetworkState> {
    return this.#host.ensureNetwork(signal)
  }

  forServer(id: string, settings: EnvironmentSettings): DockerEnvironment {
    return new DockerEnvironment({ id, host: this.#host, settings })
  }

  forInstaller(id: string, settings: InstallerSettings): DockerEnvironment {
    return new DockerEnvironment({
      id,
      host: this.#host,
      installer: settings,
      settings: {
        image: settings.image,
        invocation: `${settings.entrypoint} /mnt/install/install.sh`,
        variables: settings.variables,
        limits: settings.limits,
        allocations: { forceOutgoingIp: false, default: { ip: '', port: 0 }, mappings: {} },
        mounts: [],
        labels: {},
        stop: { type: '', value: '' },
      },
    })
  }
}
