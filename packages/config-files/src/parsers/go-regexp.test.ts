import { describe, expect, it } from 'vitest'
import { compileGoRegExp, replaceAllGo } from './go-regexp.js'

describe('compileGoRegExp and replaceAllGo', () => {
  it('expands numbered groups as Go does', () => {
    const regexp = compileGoRegExp('^(127\\.0\\.0\\.1|localhost)(:\\d{1,5})?$')
    expect(replaceAllGo('localhost:25565', regexp, '10.0.0.5$2')).toBe('10.0.0.5:25565')
    expect(replaceAllGo('127.0.0.1', regexp, '10.0.0.5$2')).toBe('10.0.0.5')
    expect(replaceAllGo('localhost:1', regexp, '${1}x|$1x|$$|$9|$')).toBe('localhostx||$||$')
  })

  it('translates Go named groups and leading flags', () => {
    const regexp = compileGoRegExp('(?i)^(?P<host>LOCALHOST)(?P<port>:\\d+)?$')
    expect(replaceAllGo('localhost:1', regexp, 'h=$host p=${port}')).toBe('h=localhost p=:1')
  })

  it('replaces every match', () => {
    expect(replaceAllGo('a1b22c', compileGoRegExp('\\d+'), '<$0>')).toBe('a<1>b<22>c')
  })

  it('refuses what JavaScript cannot run', () => {
    expect(() => compileGoRegExp('(?U)a+')).toThrow(SyntaxError)
    expect(() => compileGoRegExp('(')).toThrow(SyntaxError)
  })
})
