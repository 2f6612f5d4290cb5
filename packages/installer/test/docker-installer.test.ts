import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { DockerEnvironmentFactory } from '@node/environment-docker'
import { TEST_IMAGE } from '@node/testkit'
import Docker from 'dockerode'
import { afterAll, beforeAll } from 'vitest'

import { describeInstallerSuite } from './installer-suite.js'

const PREFIX = 'ndtest-installer-'
const UID = 988
const docker = new Docker({ socketPath: '/var/run/docker.sock' })
const NETWORK = {
  name: `${PREFIX}nw`,
  networkMode: `${PREFIX}nw`,
  bridgeName: 'ndtest-ins0',
  interface: '127.0.0.1',
  dns: [],
  v4: { subnet: '172.31.248.0/24', gateway: '172.31.248.1' },
  v6: { subnet: 'fdba:17c8:6c98::/64', gateway: 'fdba:17c8:6c98::1' },
}

let dataDirectory: string
let factory: DockerEnvironmentFactory

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

describeInstallerSuite('DockerEnvironment', {
  image: TEST_IMAGE,
  serverDirectory: '/mnt/server',
  dataDirectory: () => dataDirectory,
  factory: () => factory,
  async prepareRoot(uuid) {
    const root = path.join(dataDirectory, uuid)
    await mkdir(root, { mode: 0o755 })
    await chown(root, UID, UID)
  },
})
