import { describe, expect, it } from 'vitest'

import { phpInt, phpJson, phpValidInt } from './php-json.js'

describe('phpJson', () => {
  it('escapes slashes and non-ASCII as PHP’s json_encode does', () => {
    expect(phpJson({ url: 'https://a/b', name: 'Grüße 🎮' })).toBe(
      '{"url":"https:\\/\\/a\\/b","name":"Gr\\u00fc\\u00dfe \\ud83c\\udfae"}',
    )
  })
})

describe('phpInt and phpValidInt', () => {
  it('casts like (int) and validates like FILTER_VALIDATE_INT', () => {
    expect([phpInt('10abc'), phpInt('abc'), phpInt(' -3'), phpInt(undefined)]).toEqual([
      10, 0, -3, 0,
    ])
    expect([
      phpValidInt('2'),
      phpValidInt('02'),
      phpValidInt(' 3 '),
      phpValidInt('1.5'),
      phpValidInt('0'),
    ]).toEqual([2, null, 3, null, 0])
  })
})
