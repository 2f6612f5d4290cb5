import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { ProcessEnvironmentFactory } from '@node/environment-process'
import type { Environment } from '@node/server-state'
import { FAKE_GAME_SERVER, TEST_IMAGE } from '@node/testkit'
import { afterAll, beforeAll } from 'vitest'

import { describePowerSuite } from './power-suite.js'

let dataDirectory: string
let factory: ProcessEnvironmentFactory
const made: Environment[] = []

beforeAll(async () => {
  dataDirectory = await mkdtemp(path.join(tmpdir(), 'ndtest-power-process-'))
  factory = new ProcessEnvironmentFactory({ dataDirectory, statsIntervalMs: 200 })
})

afterAll(async () => {
  await rm(dataDirectory, { recursive: true, force: true })
})

describePowerSuite('ProcessEnvironment', {
  invocation: FAKE_GAME_SERVER,
  image: TEST_IMAGE,
  // Child processes end with the daemon: there is nothing to adopt after a restart.
  adoptsRunningProcesses: false,
  async make(uuid, settings) {
    await mkdir(path.join(dataDirectory, uuid), { recursive: true })
    const env = factory.forServer(uuid, settings)
    made.push(env)
    return env
  },
  async cleanup() {
    await Promise.all(made.splice(0).map((env) => env.destroy()))
  },
})
