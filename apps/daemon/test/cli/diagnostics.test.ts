import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { collectDiagnostics } from '../../src/cli/diagnostics.js'

describe('collectDiagnostics against the local Docker engine', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daemon-diag-docker-'))
    await writeFile(path.join(dir, 'config.yml'), `system:\n  log_directory: ${dir}\n`)
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it("reports the engine's version and info", async () => {
    const engine = await new Docker().version()

    const report = await collectDiagnostics({
      version: 'develop',
      configPath: path.join(dir, 'config.yml'),
      env: {},
      logLines: 10,
      includeEndpoints: false,
      includeLogs: true,
    })

    expect(report).toContain(`Docker: ${engine.Version}`)
    expect(report).toContain(`Server Version: ${engine.Version}`)
    expect(report).toMatch(/Storage Driver: \S+/)
    expect(report).not.toContain('Docker is not reachable')
  })

  it("reports the native jail addon this checkout built as the jail's backend", async () => {
    const report = await collectDiagnostics({
      version: 'develop',
      configPath: path.join(dir, 'config.yml'),
      env: {},
      logLines: 10,
      includeEndpoints: false,
      includeLogs: false,
    })

    expect(report).toContain('Backend: openat2 (native addon loaded)')
  })
})
