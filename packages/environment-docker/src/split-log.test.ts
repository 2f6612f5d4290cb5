import { describe, expect, it } from 'vitest'

import { splitLog } from './split-log.js'

describe('splitLog', () => {
  it('splits a TTY log into lines without terminators, keeping empty lines', () => {
    expect(splitLog('a\r\n\r\nb\r\n')).toEqual(['a', '', 'b'])
    expect(splitLog('')).toEqual([])
    expect(splitLog('no newline')).toEqual(['no newline'])
  })
})
