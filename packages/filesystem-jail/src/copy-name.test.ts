import { describe, expect, it } from 'vitest'

import { copyNameCandidates, rfc3339 } from './copy-name.js'

describe('copyNameCandidates', () => {
  const now = new Date(2024, 2, 17, 14, 58, 30)

  it('tries "<base> copy<ext>", then 1 to 50, then a timestamp', () => {
    const names = copyNameCandidates('server.properties', now)

    expect(names[0]).toBe('server copy.properties')
    expect(names[1]).toBe('server copy 1.properties')
    expect(names[50]).toBe('server copy 50.properties')
    expect(names[51]).toBe(`servercopy.${rfc3339(now)}.properties`)
    expect(names).toHaveLength(52)
  })

  it('counts .tar as part of the extension', () => {
    expect(copyNameCandidates('world.tar.gz', now)[0]).toBe('world copy.tar.gz')
    expect(copyNameCandidates('world.tar', now)[0]).toBe('world copy.tar')
  })

  it('follows Go filepath.Ext for names without or starting with a dot', () => {
    expect(copyNameCandidates('README', now)[0]).toBe('README copy')
    expect(copyNameCandidates('.env', now)[0]).toBe(' copy.env')
  })
})

describe('rfc3339', () => {
  it('formats like Go time.RFC3339 in the local zone', () => {
    expect(rfc3339(new Date(2024, 2, 17, 4, 5, 6))).toMatch(
      /^2024-03-17T04:05:06(Z|[+-]\d\d:\d\d)$/,
    )
  })
})
