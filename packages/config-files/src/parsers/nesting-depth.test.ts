import { describe, expect, it } from 'vitest'
import { rewriteConfigFile } from '../rewrite-config-file.js'
import { MalformedConfigFileError } from './malformed-config-file-error.js'
import { jsonDepth, MAX_NESTING, xmlDepth, yamlDepth } from './nesting-depth.js'

const replace = [{ match: 'a', ifValue: undefined, replaceWith: 'v' }]

describe('nesting limits', () => {
  it('measures JSON depth outside strings', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[{{{"}]}')).toBe(3)
    expect(jsonDepth('"\\"[["')).toBe(0)
  })

  it('measures YAML depth from flow collections, indentation and compact items', () => {
    expect(yamlDepth('a:\n  b:\n    c: 1\nd: 2\n')).toBe(3)
    expect(yamlDepth('a: [[1, {b: 2}]]\n')).toBe(3)
    expect(yamlDepth('- - - x\n')).toBe(4)
    expect(yamlDepth("a: 'it''s [not] a list'\n# [[[\n")).toBe(1)
  })

  it('measures XML depth, skipping comments, CDATA and declarations', () => {
    expect(
      xmlDepth(
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a><b/><c><!-- <d> --><![CDATA[<e>]]></c></a>',
      ),
    ).toBe(2)
  })

  it.each([
    ['json', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['yaml', `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['yaml', Array.from({ length: 10_000 }, (_, depth) => `${' '.repeat(depth)}a:`).join('\n')],
    ['yaml', `${'- '.repeat(10_000)}x`],
    ['xml', '<a>'.repeat(100_000) + '</a>'.repeat(100_000)],
  ])('refuses a %s file nested far too deep instead of crashing', (parser, content) => {
    expect(() => rewriteConfigFile(parser, content, replace)).toThrow(MalformedConfigFileError)
  })

  it('accepts files at the limit', () => {
    const json = '{"a":'.repeat(MAX_NESTING) + '1' + '}'.repeat(MAX_NESTING)
    expect(() => rewriteConfigFile('json', json, replace)).not.toThrow()
    const xml = '<a>'.repeat(MAX_NESTING) + '</a>'.repeat(MAX_NESTING)
    expect(() => rewriteConfigFile('xml', xml, replace)).not.toThrow()
  })
})
