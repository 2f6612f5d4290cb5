import { describe, expect, it } from 'vitest'

import { isDaemonError, NotFoundError } from './errors.js'

describe('DaemonError', () => {
  it('is recognised by its brand and keeps the spec message verbatim', () => {
    const error = new NotFoundError('The requested resource does not exist on this instance.')

    expect(isDaemonError(error)).toBe(true)
    expect(error.code).toBe('NOT_FOUND')
    expect(error.message).toBe('The requested resource does not exist on this instance.')
    expect(error.name).toBe('NotFoundError')
  })

  it('is recognised when it comes from another copy of the package', () => {
    const foreign = { [Symbol.for('@node/shared-kernel/DaemonError')]: true, code: 'DENIED' }

    expect(isDaemonError(foreign)).toBe(true)
  })

  it('does not mistake a plain error for a daemon error', () => {
    expect(isDaemonError(new Error('boom'))).toBe(false)
    expect(isDaemonError(null)).toBe(false)
    expect(isDaemonError('NOT_FOUND')).toBe(false)
  })
})
