import { isDaemonError } from '@node/shared-kernel'
import { describe, expect, it } from 'vitest'

import { isFilesystemError, jailFaultOf } from './errors.js'
import { isPlainName, jailPathIn, parseJailPath } from './jail-path.js'

function failure(input: unknown): unknown {
  try {
    parseJailPath(input)
  } catch (error) {
    return error
  }
  throw new Error(`parsed ${String(input)}`)
}

describe('parseJailPath', () => {
  it('resolves dots and slashes lexically, a leading slash allowed', () => {
    expect(parseJailPath('/a//b/./c/../d/').components).toEqual(['a', 'b', 'd'])
    expect(parseJailPath('a/b/..').relative).toBe('a')
    expect(parseJailPath('/').components).toEqual([])
    expect(parseJailPath('').relative).toBe('')
    expect(parseJailPath('x/..').relative).toBe('')
  })

  it('reads further names inside the path before them, refusing a climb instead of clamping it', () => {
    expect(parseJailPath('/data', '../keep.txt').relative).toBe('keep.txt')
    expect(parseJailPath('/data', '/x/y').relative).toBe('data/x/y')
    expect(jailPathIn('', 'a/./b')).toBe('a/b')

    for (const [root, name] of [
      ['/', '../../moved'],
      ['/data', '../../keep.txt'],
      ['../..', 'keep.txt'],
    ] as const) {
      expect(() => parseJailPath(root, name)).toThrow(
        'The requested resources was not found on the system.',
      )
      expect(() => jailPathIn(root, name)).toThrow()
    }
    expect(() => parseJailPath('/', 'a\0b')).toThrow()
    expect(() => parseJailPath('/', 5)).toThrow()
  })

  it('keeps names that only look special', () => {
    expect(parseJailPath('.../..a/a..b/ sp ace/\\back').components).toEqual([
      '...',
      '..a',
      'a..b',
      ' sp ace',
      '\\back',
    ])
  })

  it('rejects a path that climbs above the root as not found, with the request id', () => {
    for (const input of ['..', '../x', 'a/../../x', '/a/b/../../../etc/passwd']) {
      const error = failure(input)

      expect(isDaemonError(error) && error.code).toBe('NOT_FOUND')
      expect((error as Error).message).toBe('The requested resources was not found on the system.')
      expect(isFilesystemError(error)).toBe(true)
      expect(jailFaultOf(error)?.reason).toBe('outside_root')
    }
  })

  it('rejects NUL bytes and non-strings as not found', () => {
    for (const input of ['a\0b', '\0', 'dir/\0/x', 42, undefined, null, ['a']]) {
      const error = failure(input)

      expect(isDaemonError(error) && error.code).toBe('NOT_FOUND')
      expect(jailFaultOf(error)?.reason).toBe('bad_path')
    }
  })

  it('rejects a component over 255 bytes and a path over 4095 bytes as too long', () => {
    const long = 'é'.repeat(128) // 256 bytes in UTF-8
    for (const input of [long, `a/${long}/b`, `${'a/'.repeat(2048)}b`]) {
      const error = failure(input)

      expect(isDaemonError(error) && error.code).toBe('BAD_REQUEST')
      expect((error as Error).message).toBe('Cannot perform that action: file name is too long.')
    }
    expect(parseJailPath('x'.repeat(255)).components).toHaveLength(1)
  })
})

describe('isPlainName', () => {
  it('accepts one component and nothing that walks', () => {
    expect(isPlainName('a.txt')).toBe(true)
    expect(isPlainName('...')).toBe(true)
    for (const name of ['', '.', '..', 'a/b', 'a\0', 'x'.repeat(256)]) {
      expect(isPlainName(name)).toBe(false)
    }
  })
})
