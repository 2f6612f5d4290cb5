import { describe, expect, it } from 'vitest'

import { DEFAULT_SFTP_LIMITS, resolveLimits } from './sftp-limits.js'

describe('resolveLimits', () => {
  it('lays overrides over the defaults', () => {
    expect(resolveLimits({ idleTimeoutMs: 0, maxHandlesPerSession: 8 })).toEqual({
      ...DEFAULT_SFTP_LIMITS,
      idleTimeoutMs: 0,
      maxHandlesPerSession: 8,
    })
  })

  it('refuses negative, fractional and unknown limits', () => {
    expect(() => resolveLimits({ maxAuthAttempts: -1 })).toThrow(RangeError)
    expect(() => resolveLimits({ loginGraceMs: 1.5 })).toThrow(RangeError)
    expect(() => resolveLimits({ nonsense: 1 } as never)).toThrow(/Unknown SFTP limit: nonsense/)
  })
})
