import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import Docker from 'dockerode'

import { DockerEnvironmentFactory } from '../docker-environment-factory.js'
import type { DockerEnvironmentOptions } from '../docker-environment-options.js'

/** The uid and gid the test containers run as and the test servers' files belong to. */
export const TEST_CONTAINER_USER = { uid: 988, gid: 988 } as const

/** A network of the test bed's own: a unique name, bridge and subnets on this engine. */
export interface TestNetwork {
  readonly name: string
  readonly networkMode: string
  readonly bridgeName: string
  /** Ports are published on loopback, never reached through the bridge. */
  readonly interface: string
  readonly dns: readonly string[]
  readonly v4: { readonly subnet: string; readonly gateway: string }
  readonly v6: { readonly subnet: string; readonly gateway: string }
}

/**
 * What a test of Docker runtimes needs, with names of its own: two runs of the suite on one
 * engine (two checkouts, CI beside a developer) never touch each other's networks or containers.
 */
export interface DockerTestBed extends AsyncDisposable {
  readonly docker: Docker
  /** Starts the name of every container, network and bridge of this test bed. */
  readonly prefix: string
  readonly network: TestNetwork
  /** Each server's files are in `<dataDirectory>/<id>` (0755, as the daemon makes it). */
  readonly dataDirectory: string
  /** A factory on the test bed's network, its containers running as TEST_CONTAINER_USER. */
  factory(options?: Partial<DockerEnvironmentOptions>): DockerEnvironmentFactory
  /** A new server id under `prefix` with its data directory, owned by TEST_CONTAINER_USER. */
  newServer(): Promise<string>
  /** Another unique network (name, bridge, subnets), not created yet. */
  uniqueNetwork(): TestNetwork
  /** Removes every container whose name starts with `prefix`. */
  removeContainers(): Promise<void>
  /** Removes the containers, the network and the data directory. */
  close(): Promise<void>
}

const NETWORK_ATTEMPTS = 8

/**
 * Creates the test bed's network (a random subnet is tried again when another network of this
 * engine holds it) and data directory. `docker` defaults to the local engine's socket.
 */
export async function createDockerTestBed(
  options: { readonly docker?: Docker } = {},
): Promise<DockerTestBed> {
  const docker = options.docker ?? new Docker({ socketPath: '/var/run/docker.sock' })
  // Linux bridge names hold 15 bytes: `ndt` and 8 hex digits, plus one more per extra network.
  const run = randomBytes(4).toString('hex')
  const prefix = `ndt${run}`
  let networks = 0
  const uniqueNetwork = (): TestNetwork => {
    const n = networks++
    const name = `${prefix}-nw${n}`
    // A /24 somewhere in 172.16.0.0/12, past Docker's own 172.17 and the daemon's 172.18.
    const [a, b] = [16 + randomInt(3, 16), randomInt(0, 256)]
    const v6 = randomBytes(2).toString('hex')
    return {
      name,
      networkMode: name,
      bridgeName: `${prefix}${n.toString(36)}`,
      interface: '127.0.0.1',
      dns: [],
      v4: { subnet: `172.${a}.${b}.0/24`, gateway: `172.${a}.${b}.1` },
      v6: { subnet: `fdba:17c8:${v6}::/64`, gateway: `fdba:17c8:${v6}::1` },
    }
  }
  const dataDirectory = await mkdtemp(path.join(tmpdir(), `${prefix}-data-`))
  await chmod(dataDirectory, 0o755)
  const network = await createNetwork(docker, dataDirectory, uniqueNetwork)

  const removeContainers = async (): Promise<void> => {
    const containers = await docker.listContainers({ all: true, filters: { name: [prefix] } })
    await Promise.all(
      containers
        .filter((c) => c.Names.some((n) => n.replace(/^\//, '').startsWith(prefix)))
        .map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
    )
  }
  const close = async (): Promise<void> => {
    await removeContainers()
    await docker
      .getNetwork(network.name)
      .remove()
      .catch(() => undefined)
    await rm(dataDirectory, { recursive: true, force: true })
  }
  return {
    docker,
    prefix,
    network,
    dataDirectory,
    factory: (overrides = {}) =>
      new DockerEnvironmentFactory({
        docker,
        dataDirectory,
        network,
        user: TEST_CONTAINER_USER,
        ...overrides,
      }),
    async newServer() {
      const id = `${prefix}-${randomUUID()}`
      const root = path.join(dataDirectory, id)
      await mkdir(root, { mode: 0o755 })
      await chown(root, TEST_CONTAINER_USER.uid, TEST_CONTAINER_USER.gid)
      return id
    },
    uniqueNetwork,
    removeContainers,
    close,
    [Symbol.asyncDispose]: close,
  }
}

async function createNetwork(
  docker: Docker,
  dataDirectory: string,
  next: () => TestNetwork,
): Promise<TestNetwork> {
  for (let attempt = 1; ; attempt++) {
    const network = next()
    try {
      await new DockerEnvironmentFactory({ docker, dataDirectory, network }).ensureNetwork()
      return network
    } catch (err) {
      // Most likely another network holds the random subnet: try another one.
      if (attempt >= NETWORK_ATTEMPTS) throw err
    }
  }
}
