import { describe, expect, it } from 'vitest'

import { doneMatcherOf, inspectedLine } from './startup-matcher.js'

const startup = (done: string[]) => ({ done, userInteraction: [], stripAnsi: false })

describe('doneMatcherOf', () => {
  it('matches plain entries as substrings', () => {
    const matches = doneMatcherOf(startup([')! For help, type ']))

    expect(matches('[12:00] Done (1.23s)! For help, type "help"')).toBe(true)
    expect(matches('Loading libraries')).toBe(false)
  })

  it('matches regex: entries as regular expressions', () => {
    const matches = doneMatcherOf(startup(['regex:^Server started on port \\d+$']))

    expect(matches('Server started on port 25565')).toBe(true)
    expect(matches('Server started on port x')).toBe(false)
  })

  it('ignores an entry whose pattern does not compile, and empty entries', () => {
    const matches = doneMatcherOf(startup(['regex:([', '', 'ready']))

    expect(matches('anything')).toBe(false)
    expect(matches('ready')).toBe(true)
  })
})

describe('inspectedLine', () => {
  it('removes ANSI escapes only when the egg asks', () => {
    const line = '\u001b[32mDone\u001b[0m'

    expect(inspectedLine(line, true)).toBe('Done')
    expect(inspectedLine(line, false)).toBe(line)
  })
})
