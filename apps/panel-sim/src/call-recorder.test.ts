import { describe, expect, it } from 'vitest'

import { pathMatcher } from './call-recorder.js'

describe('pathMatcher', () => {
  it('matches one segment with * and any rest with **', () => {
    const one = pathMatcher('/api/remote/servers/*')
    const rest = pathMatcher('/api/remote/**')

    expect([
      one('/api/remote/servers/abc'),
      one('/api/remote/servers/abc/install'),
      one('/api/remote/servers'),
    ]).toEqual([true, false, false])
    expect([rest('/api/remote/servers/abc/install'), rest('/api/other')]).toEqual([true, false])
    expect(pathMatcher(/install$/)('/x/install')).toBe(true)
  })
})
