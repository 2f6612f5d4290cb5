import { chown, mkdir } from 'node:fs/promises'
import path from 'node:path'

import {
  createDockerTestBed,
  TEST_CONTAINER_USER,
  type DockerTestBed,
} from '@node/environment-docker/testing'
import type { Environment } from '@node/server-state'
import { TEST_IMAGE } from '@node/testkit'
import { afterAll, beforeAll } from 'vitest'

import { describePowerSuite } from './power-suite.js'

let bed: DockerTestBed
const made: Environment[] = []

beforeAll(async () => {
  bed = await createDockerTestBed()
})

afterAll(async () => {
  await bed.close()
})

describePowerSuite('DockerEnvironment', {
  invocation: 'fake-game-server',
  image: TEST_IMAGE,
  adoptsRunningProcesses: true,
  async make(uuid, settings) {
    const root = path.join(bed.dataDirectory, uuid)
    await mkdir(root, { recursive: true, mode: 0o755 })
    await chown(root, TEST_CONTAINER_USER.uid, TEST_CONTAINER_USER.gid)
    const env = bed.factory().forServer(uuid, settings)
    made.push(env)
    return env
  },
  async cleanup() {
    // One by one: two runtimes of the same container must not remove it concurrently.
    for (const env of made.splice(0)) await env.destroy()
  },
})
