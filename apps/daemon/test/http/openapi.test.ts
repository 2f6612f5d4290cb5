import 'reflect-metadata'

import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { compileErrors, validate } from '@readme/openapi-parser'
import type { Express } from 'express'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parse, stringify } from 'yaml'
import { sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'
import { createTempDir, type TempDir } from '@node/testkit'

import { startDaemon, type RunningDaemon } from '../../src/composition/daemon.js'
import { loadConfig } from '../../src/config/load-config.js'
import { servedRoutes } from '../../src/http/route-table.js'
import { OPENAPI_FILE } from '../../src/http/routes/openapi.routes.js'

// Issue 16 item 4: the OpenAPI document kept in the repository is checked against the routes of
// the app the composition root builds (createHttpApp is wrapped, not replaced), both ways, and
// validated with @readme/openapi-parser; the daemon serves it.
const built = vi.hoisted(() => [] as Express[])
vi.mock('../../src/http/app.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/http/app.js')>()
  return {
    ...original,
    createHttpApp: (options: Parameters<typeof original.createHttpApp>[0]) => {
      const app = original.createHttpApp(options)
      built.push(app)
      return app
    },
  }
})

let sim: PanelSim
let dir: TempDir
let daemon: RunningDaemon
const token = randomBytes(32).toString('hex')

beforeAll(async () => {
  dir = await createTempDir('openapi-')
  const tokenId = randomBytes(8).toString('hex')
  sim = await startPanelSim({
    fixture: sampleFixture({ environment: 'process' }),
    node: { tokenId, token },
    log: () => undefined,
  })
  const generated = sim.nodeConfiguration()
  const file = path.join(dir.path, 'config.yml')
  await writeFile(
    file,
    stringify({
      ...generated,
      api: { ...generated.api, host: '127.0.0.1', port: 0 },
      system: {
        ...generated.system,
        root_directory: path.join(dir.path, 'lib'),
        log_directory: path.join(dir.path, 'log'),
        data: path.join(dir.path, 'volumes'),
        archive_directory: path.join(dir.path, 'archives'),
        backup_directory: path.join(dir.path, 'backups'),
        tmp_directory: path.join(dir.path, 'tmp'),
        environment: 'process',
      },
    }),
    { mode: 0o600 },
  )
  daemon = await startDaemon({
    loaded: await loadConfig({ path: file }),
    debug: false,
    console: false,
  })
})

afterAll(async () => {
  await daemon?.close()
  await sim?.close()
  await dir?.[Symbol.asyncDispose]()
})

describe('the OpenAPI document (apps/daemon/openapi.yaml)', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const document = await documentFromFile()
    const result = await validate(structuredClone(document) as Parameters<typeof validate>[0])

    expect(result.valid ? '' : compileErrors(result)).toBe('')
    expect(document.openapi).toMatch(/^3\.1\./)
  })

  it('documents every route the daemon serves, and serves every route it documents', async () => {
    const served = servedRoutes(onlyApp()).map((r) => `${r.method} ${r.path}`)
    const documented = operationsOf(await documentFromFile())

    expect(served.filter((route) => !documented.includes(route))).toEqual([])
    expect(documented.filter((route) => !served.includes(route))).toEqual([])
    // Not an empty comparison: the Panel's core routes are in both.
    expect(served).toEqual(expect.arrayContaining(['GET /api/system', 'POST /api/servers']))
  })

  it("carries the daemon's version", async () => {
    const pkg = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string }

    expect((await documentFromFile()).info.version).toBe(pkg.version)
  })

  it('answers the bearer check and the server lookup where the daemon applies them', async () => {
    const document = await documentFromFile()
    const missing: string[] = []
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!METHODS.has(method)) continue
        const op = operation as { security?: unknown[]; responses: Record<string, unknown> }
        const nodeToken = (op.security ?? document.security).length > 0
        const want = [
          ...(nodeToken ? ['401', '403'] : []),
          ...(path.includes('{server}') ? ['404'] : []),
        ]
        for (const status of want) {
          if (!(status in op.responses)) missing.push(`${method.toUpperCase()} ${path} ${status}`)
        }
      }
    }
    expect(missing).toEqual([])
  })

  it('is served at GET /api/openapi.json behind the node token', async () => {
    const anonymous = await fetch(new URL('/api/openapi.json', daemon.url))
    const served = await fetch(new URL('/api/openapi.json', daemon.url), {
      headers: { Authorization: `Bearer ${token}` },
    })

    expect(anonymous.status).toBe(401)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await served.json()).toEqual(await documentFromFile())
  })
})

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'])

interface OpenApiDocument {
  readonly openapi: string
  readonly info: { readonly version: string }
  readonly security: unknown[]
  readonly paths: Record<string, Record<string, unknown>>
}

async function documentFromFile(): Promise<OpenApiDocument> {
  return parse(await readFile(OPENAPI_FILE, 'utf8')) as OpenApiDocument
}

function operationsOf(document: OpenApiDocument): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => METHODS.has(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  )
}

function onlyApp(): Express {
  expect(built).toHaveLength(1)
  return built[0]!
}
