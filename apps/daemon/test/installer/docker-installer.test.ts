import { chown, mkdir } from 'node:fs/promises'
import path from 'node:path'

import type { DockerEnvironmentFactory } from '@node/environment-docker'
import {
  createDockerTestBed,
  TEST_CONTAINER_USER,
  type DockerTestBed,
} from '@node/environment-docker/testing'
import { TEST_IMAGE } from '@node/testkit'
import { afterAll, beforeAll } from 'vitest'

import { describeInstallerSuite } from './installer-suite.js'

let bed: DockerTestBed
let factory: DockerEnvironmentFactory

beforeAll(async () => {
  bed = await createDockerTestBed()
  factory = bed.factory()
})

afterAll(async () => {
  await bed.close()
})

describeInstallerSuite('DockerEnvironment', {
  image: TEST_IMAGE,
  serverDirectory: '/mnt/server',
  dataDirectory: () => bed.dataDirectory,
  factory: () => factory,
  async prepareRoot(uuid) {
    const root = path.join(bed.dataDirectory, uuid)
    await mkdir(root, { mode: 0o755 })
    await chown(root, TEST_CONTAINER_USER.uid, TEST_CONTAINER_USER.gid)
  },
})
