import { describe, expect, it } from 'vitest'

import { ignorePatterns } from './ignore-rules.js'

describe('ignorePatterns', () => {
  it('strips the stray carriage returns the Panel leaves and drops empty lines', () => {
    expect(ignorePatterns('*.log\r\n\r\ncache/\r\n!keep.log\n')).toEqual([
      '*.log',
      'cache/',
      '!keep.log',
    ])
  })

  it('has no pattern for an empty or blank list', () => {
    expect(ignorePatterns('')).toEqual([])
    expect(ignorePatterns('\n \r\n')).toEqual([])
  })
})
