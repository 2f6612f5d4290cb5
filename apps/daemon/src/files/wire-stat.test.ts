import { describe, expect, it } from 'vitest'

import { goFileMode, rfc3339 } from './wire-stat.js'

describe('goFileMode', () => {
  it.each([
    [0o100644, '-rw-r--r--'],
    [0o040755, 'drwxr-xr-x'],
    [0o120777, 'Lrwxrwxrwx'],
    [0o010644, 'prw-r--r--'],
    [0o140755, 'Srwxr-xr-x'],
    [0o060660, 'Drw-rw----'],
    [0o020620, 'Dcrw--w----'],
    [0o104755, 'urwxr-xr-x'],
    [0o042775, 'dgrwxrwxr-x'],
    [0o041777, 'dtrwxrwxrwx'],
  ])('st_mode %o is %s', (mode, text) => {
    expect(goFileMode(mode)).toBe(text)
  })
})

describe('rfc3339', () => {
  it('writes whole seconds with the local offset or Z', () => {
    const text = rfc3339(Date.UTC(2024, 2, 17, 14, 58, 30, 999))
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/)
    expect(new Date(text).getTime()).toBe(Date.UTC(2024, 2, 17, 14, 58, 30))
  })
})
