import { describe, expect, it } from 'vitest'

import { isSimpleCommand, startupScript } from './startup-command.js'

describe('startupScript', () => {
  it('turns placeholders into shell variables and execs a simple command', () => {
    expect(startupScript('java -Xmx{{SERVER_MEMORY}}M -jar {{ SERVER_JARFILE }}')).toBe(
      'exec java -Xmx${SERVER_MEMORY}M -jar ${SERVER_JARFILE}',
    )
  })

  it('leaves compound commands to the shell as they are', () => {
    expect(startupScript('cd game && ./run {{PORT}}')).toBe('cd game && ./run ${PORT}')
    expect(startupScript('echo a; ./b')).toBe('echo a; ./b')
  })

  it('leaves unknown brace text alone', () => {
    expect(startupScript('./srv {{server.build.default.port}} {{}}')).toBe(
      'exec ./srv {{server.build.default.port}} {{}}',
    )
  })
})

describe('isSimpleCommand', () => {
  it('refuses operators, redirections, keywords and leading assignments', () => {
    expect(isSimpleCommand('./server --port 1')).toBe(true)
    expect(isSimpleCommand('./server > log')).toBe(false)
    expect(isSimpleCommand('a | b')).toBe(false)
    expect(isSimpleCommand('echo $(id)')).toBe(false)
    expect(isSimpleCommand('while true; do :; done')).toBe(false)
    expect(isSimpleCommand('{ ./a; }')).toBe(false)
    expect(isSimpleCommand('JAVA_OPTS=-Xmx1G ./run')).toBe(false)
    expect(isSimpleCommand('exec ./run')).toBe(false)
    expect(isSimpleCommand('   ')).toBe(false)
  })
})
