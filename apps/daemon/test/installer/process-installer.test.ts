import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { ProcessEnvironmentFactory } from '@node/environment-process'
import { TEST_IMAGE } from '@node/testkit'
import { afterAll, beforeAll } from 'vitest'

import { describeInstallerSuite } from './installer-suite.js'

let dataDirectory: string
let factory: ProcessEnvironmentFactory

beforeAll(async () => {
  dataDirectory = await mkdtemp(path.join(tmpdir(), 'ndtest-installer-process-'))
  factory = new ProcessEnvironmentFactory({ dataDirectory })
})

afterAll(async () => {
  await rm(dataDirectory, { recursive: true, force: true })
})

describeInstallerSuite('ProcessEnvironment', {
  image: TEST_IMAGE,
  // The script runs in the server's root: its files are the working directory.
  serverDirectory: '.',
  dataDirectory: () => dataDirectory,
  factory: () => factory,
  async prepareRoot(uuid) {
    await mkdir(path.join(dataDirectory, uuid))
  },
})
