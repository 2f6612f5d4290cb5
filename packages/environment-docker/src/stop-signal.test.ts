import { describe, expect, it } from 'vitest'

import { stopActionOf } from './stop-signal.js'

describe('stopActionOf', () => {
  it('maps the egg stop configuration to a command, a signal or the native stop', () => {
    expect(stopActionOf({ type: 'command', value: 'stop' })).toEqual({
      kind: 'command',
      command: 'stop',
    })
    expect(stopActionOf({ type: 'stop', value: '' })).toEqual({ kind: 'native' })
    expect(stopActionOf({ type: '', value: 'stop' })).toEqual({ kind: 'signal', signal: 'SIGKILL' })
  })

  it('knows SIGABRT, SIGINT and SIGTERM in any case, C as SIGINT, and kills for anything else', () => {
    const signal = (value: string): unknown => stopActionOf({ type: 'signal', value })

    expect(signal('sigterm')).toEqual({ kind: 'signal', signal: 'SIGTERM' })
    expect(signal('SIGINT')).toEqual({ kind: 'signal', signal: 'SIGINT' })
    expect(signal('abrt')).toEqual({ kind: 'signal', signal: 'SIGABRT' })
    expect(signal('^C')).toEqual({ kind: 'signal', signal: 'SIGINT' })
    expect(signal('C')).toEqual({ kind: 'signal', signal: 'SIGINT' })
    expect(signal('SIGHUP')).toEqual({ kind: 'signal', signal: 'SIGKILL' })
  })
})
