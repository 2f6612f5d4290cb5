import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { MemoryLogger } from '@node/shared-kernel/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { loadTokenScopeMemory } from './token-scope-memory.js'

let dir: string
let file: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'token-scope-'))
  file = path.join(dir, 'token-scope.json')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadTokenScopeMemory', () => {
  it('starts unseen without a file, and remembers across a reload', async () => {
    const memory = await loadTokenScopeMemory(file, new MemoryLogger())
    expect(memory.seen).toBe(false)

    memory.remember()

    expect(memory.seen).toBe(true)
    await vi.waitFor(async () => {
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ panel_signs_scope: true })
    })
    expect((await loadTokenScopeMemory(file, new MemoryLogger())).seen).toBe(true)
  })

  it('learns again, with a warning, from a file it did not write', async () => {
    await writeFile(file, '{"panel_signs_scope": "yes"}')
    const logger = new MemoryLogger()

    const memory = await loadTokenScopeMemory(file, logger)

    expect(memory.seen).toBe(false)
    expect(logger.records.map((r) => r.level)).toEqual(['warn'])
  })
})
