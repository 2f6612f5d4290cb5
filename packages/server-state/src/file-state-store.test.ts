import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { MemoryLogger } from '@node/shared-kernel/testing'

import { FileStateStore } from './file-state-store.js'
import { describeStateStoreContract } from './testing/index.js'

const A = '0b1e1d52-6f0e-4d36-a6a1-4f5f36a8a001'
const B = '0b1e1d52-6f0e-4d36-a6a1-4f5f36a8a002'

const dirs: string[] = []

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'server-state-'))
  dirs.push(dir)
  return dir
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

describeStateStoreContract('FileStateStore', async () => {
  return new FileStateStore({ file: path.join(await tempDir(), 'states.json') })
})

describe('FileStateStore', () => {
  it('writes the Wings format: one JSON object, keys sorted, mode 0644', async () => {
    const file = path.join(await tempDir(), 'states.json')
    const store = new FileStateStore({ file })

    await store.save({ [B]: 'offline', [A]: 'running' })

    expect(await readFile(file, 'utf8')).toBe(`{"${A}":"running","${B}":"offline"}`)
    expect((await stat(file)).mode & 0o777).toBe(0o644)
  })

  it('reads a file written by Wings', async () => {
    const file = path.join(await tempDir(), 'states.json')
    await writeFile(file, `{\n  "${A}": "stopping",\n  "${B}": "starting"\n}\n`)

    const states = await new FileStateStore({ file }).load()

    expect(states).toEqual({ [A]: 'stopping', [B]: 'starting' })
  })

  it('reads an empty file as no states, silently (Wings creates it empty)', async () => {
    const file = path.join(await tempDir(), 'states.json')
    await writeFile(file, '')
    const logger = new MemoryLogger()

    const states = await new FileStateStore({ file, logger }).load()

    expect(states).toEqual({})
    expect(logger.records).toEqual([])
  })

  it.each([
    ['a torn write', `{"${A}":"runn`],
    ['garbage', '\u0000\u0000\u0000\u0000'],
    ['a JSON array', `["${A}"]`],
    ['JSON null', 'null'],
    ['a JSON string', '"running"'],
  ])('reports %s and reads it as no states', async (_what, content) => {
    const file = path.join(await tempDir(), 'states.json')
    await writeFile(file, content)
    const logger = new MemoryLogger()

    const states = await new FileStateStore({ file, logger }).load()

    expect(states).toEqual({})
    expect(logger.records.map((r) => r.level)).toEqual(['warn'])
    expect(logger.records[0]?.fields['file']).toBe(file)
  })

  it('drops entries whose value is not a state and keeps the others', async () => {
    const file = path.join(await tempDir(), 'states.json')
    await writeFile(file, JSON.stringify({ [A]: 'running', [B]: 'crashed', c: 1, d: null }))
    const logger = new MemoryLogger()

    const states = await new FileStateStore({ file, logger }).load()

    expect(states).toEqual({ [A]: 'running' })
    expect(logger.records.map((r) => r.fields['server_id'])).toEqual([B, 'c', 'd'])
  })

  it('does not let a saved "__proto__" key touch the prototype', async () => {
    const file = path.join(await tempDir(), 'states.json')
    await writeFile(file, '{"__proto__":"running"}')

    const states = await new FileStateStore({ file }).load()

    expect(Object.getPrototypeOf(states)).toBe(Object.prototype)
    expect(Object.hasOwn(states, '__proto__')).toBe(true)
  })

  it('reports an unreadable path and reads it as no states', async () => {
    const file = path.join(await tempDir(), 'states.json')
    await mkdir(file)
    const logger = new MemoryLogger()

    const states = await new FileStateStore({ file, logger }).load()

    expect(states).toEqual({})
    expect(logger.records.map((r) => r.message)).toEqual([
      'failed to read server states, assuming every server is offline',
    ])
  })

  it('reads no states, silently, when the directory does not exist', async () => {
    const file = path.join(await tempDir(), 'missing', 'states.json')
    const logger = new MemoryLogger()

    const states = await new FileStateStore({ file, logger }).load()

    expect(states).toEqual({})
    expect(logger.records).toEqual([])
  })

  it('keeps the previous content, and removes the temp file, when a crash interrupted a write', async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'states.json')
    await new FileStateStore({ file }).save({ [A]: 'running' })
    // What a crash between open and rename leaves: a half-written temp file beside the real one.
    const leftover = `${file}.5f0c2b8e-1d3a-4c59-9e2f-7a6b5c4d3e2f.tmp`
    await writeFile(leftover, `{"${A}":"offl`)
    await writeFile(path.join(dir, 'states.json.keep'), 'not ours')

    const states = await new FileStateStore({ file }).load()

    expect(states).toEqual({ [A]: 'running' })
    expect((await readdir(dir)).sort()).toEqual(['states.json', 'states.json.keep'])
  })

  it('leaves no temp file behind and rejects when the rename fails', async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'states.json')
    await mkdir(file)
    await writeFile(path.join(file, 'occupied'), '')
    const store = new FileStateStore({ file })

    const failure = await store.save({ [A]: 'running' }).then(
      () => undefined,
      (err: unknown) => err,
    )

    expect((failure as NodeJS.ErrnoException).code).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST)$/)
    expect(await readdir(dir)).toEqual(['states.json'])
  })

  it('does not write anything when a value is invalid', async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'states.json')

    await expect(new FileStateStore({ file }).save({ [A]: 'up' } as never)).rejects.toThrow(
      TypeError,
    )

    expect(await readdir(dir)).toEqual([])
  })

  it('answers a load issued during a save with the saved content', async () => {
    const file = path.join(await tempDir(), 'states.json')
    const store = new FileStateStore({ file })

    const saving = store.save({ [A]: 'running' })
    const loaded = await store.load()
    await saving

    expect(loaded).toEqual({ [A]: 'running' })
  })
})
