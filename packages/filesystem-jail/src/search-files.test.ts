import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { isDaemonError } from '@node/shared-kernel'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { Jail } from './jail.js'
import { searchFiles, searchMatcher, type SearchOptions } from './search-files.js'

let base: string
let root: string
let outside: string
let jail: Jail

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'search-files-'))
  root = path.join(base, 'root')
  outside = path.join(base, 'outside')
  for (const dir of ['plugins/deep/er', 'node_modules/lib', 'logs', 'a/b/c/d']) {
    await mkdir(path.join(root, dir), { recursive: true })
  }
  await mkdir(outside)
  await writeFile(path.join(root, 'server.properties'), 'x')
  await writeFile(path.join(root, 'plugins/Config.YML'), 'x')
  await writeFile(path.join(root, 'plugins/deep/er/config.yml'), 'x')
  await writeFile(path.join(root, 'node_modules/lib/config.yml'), 'x')
  await writeFile(path.join(root, 'logs/latest.log'), 'x')
  await writeFile(path.join(root, 'a/b/c/d/config.yml'), 'x')
  await writeFile(path.join(outside, 'config.yml'), 'secret')
  await symlink(outside, path.join(root, 'escape'))
  jail = await Jail.open(root)
})

afterEach(async () => {
  await jail.close()
  await rm(base, { recursive: true, force: true })
})

const search = (options: Partial<SearchOptions> & { pattern: string }) =>
  searchFiles(jail, {
    directory: '',
    maxDepth: 8,
    excludedDirectories: ['node_modules'],
    maxResults: 100,
    ...options,
  })

const names = (result: { matches: readonly { name: string }[] }) =>
  result.matches.map((m) => m.name).sort()

describe('searchFiles', () => {
  it('finds names containing the pattern at any depth, without case, skipping excluded dirs', async () => {
    const result = await search({ pattern: 'config' })

    expect(names(result)).toEqual([
      'a/b/c/d/config.yml',
      'plugins/Config.YML',
      'plugins/deep/er/config.yml',
    ])
    expect(result.complete).toBe(true)
  })

  it('never follows a symlink out of the root: the link is a name, not a directory', async () => {
    const result = await search({ pattern: 'esc' })
    const throughLink = await search({ pattern: 'config.yml', directory: '/' })

    expect(names(result)).toEqual(['escape'])
    expect(result.matches[0]!.entry.stats.kind).toBe('symlink')
    expect(names(throughLink).some((n) => n.includes('escape'))).toBe(false)
  })

  it('names matches below the directory given, as the reference joins them', async () => {
    const result = await search({ pattern: '*.yml', directory: '/plugins' })

    expect(names(result)).toEqual(['/plugins/Config.YML', '/plugins/deep/er/config.yml'])
    expect(result.matches.find((m) => m.name === '/plugins/Config.YML')?.directory).toBe('/plugins')
  })

  it('looks no deeper than maxDepth', async () => {
    const result = await search({ pattern: 'config.yml', maxDepth: 1 })

    expect(names(result)).toEqual(['plugins/Config.YML'])
  })

  it('stops at maxResults and says it is incomplete', async () => {
    const result = await search({ pattern: 'config', maxResults: 2 })

    expect(result.matches).toHaveLength(2)
    expect(result.complete).toBe(false)
  })

  it('stops when its signal aborts and returns what it found', async () => {
    const result = await search({ pattern: 'config', signal: AbortSignal.abort() })

    expect(result.matches).toEqual([])
    expect(result.complete).toBe(false)
  })

  it('rejects with the jail error when the directory does not exist', async () => {
    const error = await search({ pattern: 'config', directory: '/missing' }).catch(
      (e: unknown) => e,
    )

    expect(isDaemonError(error) && error.code).toBe('NOT_FOUND')
  })

  it('cannot be pointed outside the root by the directory', async () => {
    const error = await search({ pattern: 'config', directory: '/escape' }).catch((e: unknown) => e)
    const climbing = await search({ pattern: 'config', directory: '../outside' }).catch(
      (e: unknown) => e,
    )

    expect(isDaemonError(error) && error.code).toBe('NOT_FOUND')
    expect(isDaemonError(climbing) && climbing.code).toBe('NOT_FOUND')
  })
})

describe('searchMatcher', () => {
  it.each([
    ['config', 'server.config.json', true],
    ['*.yml', 'config.yml', true],
    ['*.yml', 'config.yaml', false],
    ['con?ig.yml', 'config.yml', true],
    ['.yml', 'config.yml', true],
    ['yml', 'config.yml', true],
    ['abc', 'xyz', false],
  ] as const)('%j against %j: %s', (pattern, name, match) => {
    expect(searchMatcher(pattern)(name)).toBe(match)
  })
})
