import type { ImagePullEvent } from '@node/server-state'
import { nullLogger, type Logger } from '@node/shared-kernel'
import Docker from 'dockerode'

import {
  resolveHostSettings,
  type ContainerHostSettings,
  type DockerEnvironmentOptions,
  type DockerNetworkState,
  type RegistryCredentials,
} from './docker-environment-options.js'
import { imageReference, outgoingIpNetworkName } from './container-spec.js'
import { anySignal, isDockerStatus } from './docker-errors.js'

/**
 * What every container of this node shares: the Docker client, the node-wide settings (the
 * network's interface can change at boot), image pulls and networks. Internal to this package.
 */
export class DockerHost {
  readonly docker: Docker
  readonly logger: Logger
  readonly pullTimeoutMs: number
  readonly attachTimeoutMs: number
  readonly #registries: readonly (readonly [string, RegistryCredentials])[]
  #settings: ContainerHostSettings

  constructor(options: DockerEnvironmentOptions) {
    this.#settings = resolveHostSettings(options)
    const docker = options.docker ?? '/var/run/docker.sock'
    this.docker = typeof docker === 'string' ? new Docker({ socketPath: docker }) : docker
    this.logger = options.logger ?? nullLogger
    this.pullTimeoutMs = options.pullTimeoutMs ?? 15 * 60_000
    this.attachTimeoutMs = options.attachTimeoutMs ?? 30_000
    this.#registries = Object.entries(options.registries ?? {})
  }

  get settings(): ContainerHostSettings {
    return this.#settings
  }

  /**
   * Inspects the daemon's network and creates it when missing (behaviour §1 step 9, §6.4), then
   * derives the interface and ISPN from its driver as Wings does.
   */
  async ensureNetwork(signal?: AbortSignal): Promise<DockerNetworkState> {
    const network = this.#settings.network
    const existing = await this.docker
      .getNetwork(network.name)
      .inspect()
      .then((info: { Driver?: string }) => info)
      .catch((err: unknown) => {
        if (isDockerStatus(err, 404)) return undefined
        throw new Error(`environment/docker: cannot inspect network ${network.name}`, {
          cause: err,
        })
      })
    let iface = network.interface
    let created = false
    if (!existing) {
      this.logger.info('creating missing docker network', { network: network.name })
      await this.docker
        .createNetwork({
          Name: network.name,
          Driver: network.driver,
          EnableIPv6: network.enableIpv6,
          Internal: network.isInternal,
          IPAM: {
            Driver: 'default',
            Config: [
              { Subnet: network.v4.subnet, Gateway: network.v4.gateway },
              ...(network.enableIpv6
                ? [{ Subnet: network.v6.subnet, Gateway: network.v6.gateway }]
                : []),
            ],
          },
          Options: {
            encryption: 'false',
            'com.docker.network.bridge.default_bridge': 'false',
            'com.docker.network.bridge.enable_icc': String(network.enableIcc),
            'com.docker.network.bridge.enable_ip_masquerade': 'true',
            'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
            'com.docker.network.bridge.name': network.bridgeName,
            'com.docker.network.driver.mtu': String(network.mtu),
          },
          abortSignal: signal,
        })
        .catch((err: unknown) => {
          throw new Error(`environment/docker: cannot create network ${network.name}`, {
            cause: err,
          })
        })
      created = true
      if (!['host', 'overlay', 'weavemesh'].includes(network.driver)) iface = network.v4.gateway
    }
    const driver = existing?.Driver ?? network.driver
    let ispn = false
    if (driver === 'host') iface = '127.0.0.1'
    else if (driver === 'overlay' || driver === 'weavemesh') {
      iface = ''
      ispn = true
    }
    this.#settings = {
      ...this.#settings,
      network: { ...network, driver, interface: iface, ispn },
    }
    return { driver, interface: iface, ispn, created }
  }

  /** The bridge network that makes a server's outgoing traffic leave from `ip`, created on demand. */
  async ensureOutgoingIpNetwork(ip: string, signal?: AbortSignal): Promise<void> {
    const name = outgoingIpNetworkName(ip)
    try {
      await this.docker.getNetwork(name).inspect()
      return
    } catch (err) {
      if (!isDockerStatus(err, 404)) throw err
    }
    await this.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      EnableIPv6: false,
      Internal: false,
      Attachable: false,
      Ingress: false,
      Options: {
        encryption: 'false',
        'com.docker.network.bridge.default_bridge': 'false',
        'com.docker.network.host_ipv4': ip,
      },
      abortSignal: signal,
    })
  }

  /**
   * Pulls `image` with the credentials of the first registry that prefixes it. A `~` image is
   * never pulled; a failed pull is tolerated when the image exists locally. `emit` hears the
   * start, every progress line and the end (also for `~` images, as Wings publishes them).
   */
  async pullImage(
    image: string,
    emit: (event: ImagePullEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    emit({ kind: 'started', image })
    try {
      if (image.startsWith('~')) return
      const deadline = anySignal(signal, AbortSignal.timeout(this.pullTimeoutMs))
      try {
        const stream = await this.docker.pull(image, {
          abortSignal: deadline,
          ...this.#authFor(image),
        })
        await new Promise<void>((resolve, reject) => {
          this.docker.modem.followProgress(
            stream,
            (err) => (err ? reject(err) : resolve()),
            (event: { status?: string; progress?: string }) =>
              emit({ kind: 'progress', line: `${event.status ?? ''} ${event.progress ?? ''}` }),
          )
        })
      } catch (err) {
        if (signal?.aborted) throw signal.reason
        if (await this.#imageExists(image)) {
          this.logger.warn(
            'unable to pull requested image from remote source, however the image exists locally',
            { image, err },
          )
          return
        }
        throw new Error(`environment/docker: failed to pull "${image}" image for server`, {
          cause: err,
        })
      }
    } finally {
      emit({ kind: 'finished', image })
    }
  }

  #authFor(image: string): { authconfig?: Docker.AuthConfig } {
    for (const [registry, credentials] of this.#registries) {
      if (!image.startsWith(registry)) continue
      return {
        authconfig: {
          username: credentials.username,
          password: credentials.password,
          serveraddress: registry,
        },
      }
    }
    return {}
  }

  async #imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(imageReference(image)).inspect()
      return true
    } catch {
      return false
    }
  }
}
