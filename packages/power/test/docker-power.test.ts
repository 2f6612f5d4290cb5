import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { DockerEnvironmentFactory } from '@node/environment-docker'
import type { Environment } from '@node/server-state'
import { TEST_IMAGE } from '@node/testkit'
import Docker from 'dockerode'
import { afterAll, beforeAll } from 'vitest'

import { describePowerSuite } from './power-suite.js'

const PREFIX = 'ndtest-power-'
const UID = 988
const docker = new Docker({ socketPath: '/var/run/docker.sock' })
const NETWORK = {
  name: `${PREFIX}nw`,
  networkMode: `${PREFIX}nw`,
  bridgeName: 'ndtest-pow0',
  interface: '127.0.0.1',
  dns: [],
  v4: { subnet: '172.31.249.0/24', gateway: '172.31.249.1' },
  v6: { subnet: 'fdba:17c8:6c97::/64', gateway: 'fdba:17c8:6c97::1' },
}

let dataDirectory: string
let factory: DockerEnvironmentFactory
const made: Environment[] = []

beforeAll(async () => {
  dataDirectory = await mkdtemp(path.join(tmpdir(), `${PREFIX}data-`))
  await chmod(dataDirectory, 0o755)
  factory = new DockerEnvironmentFactory({
    docker,
    dataDirectory,
    network: NETWORK,
    user: { uid: UID, gid: UID },
  })
  await factory.ensureNetwork()
})

afterAll(async () => {
  await docker
    .getNetwork(NETWORK.name)
    .remove()
    .catch(() => undefined)
  await rm(dataDirectory, { recursive: true, force: true })
})

describePowerSuite('DockerEnvironment', {
  invocation: 'fake-game-server',
  image: TEST_IMAGE,
  adoptsRunningProcesses: true,
  async make(uuid, settings) {
    const root = path.join(dataDirectory, uuid)
    await mkdir(root, { recursive: true, mode: 0o755 })
    await chown(root, UID, UID)
    const env = factory.forServer(uuid, settings)
    made.push(env)
    return env
  },
  async cleanup() {
    // One by one: two runtimes of the same container must not remove it concurrently.
    for (const env of made.splice(0)) await env.destroy()
  },
})
