import { describe, expect, it } from 'vitest'

import { Denylist } from './denylist.js'

describe('Denylist', () => {
  const denylist = new Denylist([
    '*.jar',
    '!allowed.jar',
    'secret/',
    '/top-only.txt',
    'config/*.yml',
    '# a comment',
    '',
  ])

  it('matches gitignore patterns at any depth unless anchored', () => {
    expect(denylist.isDenied('server.jar', false)).toBe(true)
    expect(denylist.isDenied('plugins/x.jar', false)).toBe(true)
    expect(denylist.isDenied('allowed.jar', false)).toBe(false)
    expect(denylist.isDenied('top-only.txt', false)).toBe(true)
    expect(denylist.isDenied('sub/top-only.txt', false)).toBe(false)
    expect(denylist.isDenied('config/a.yml', false)).toBe(true)
    expect(denylist.isDenied('config/deeper/a.yml', false)).toBe(false)
  })

  it('applies directory patterns to directories and everything beneath them', () => {
    expect(denylist.isDenied('secret', true)).toBe(true)
    expect(denylist.isDenied('secret', false)).toBe(false)
    expect(denylist.isDenied('secret/key.pem', false)).toBe(true)
    expect(denylist.isDenied('a/secret/deep/key.pem', false)).toBe(true)
  })

  it('is case-sensitive, as the reference matcher is', () => {
    expect(denylist.isDenied('SERVER.JAR', false)).toBe(false)
  })

  it('denies nothing when empty, and never the root', () => {
    const empty = new Denylist([])

    expect(empty.empty).toBe(true)
    expect(empty.isDenied('anything.jar', false)).toBe(false)
    expect(new Denylist(['*']).isDenied('', true)).toBe(false)
  })

  it('drops patterns that are not strings', () => {
    const list = new Denylist(['*.jar', 7, null, { a: 1 }, 'a\0b'])

    expect(list.patterns).toEqual(['*.jar'])
  })
})
