import { CST, Lexer } from 'yaml'
import { MalformedConfigFileError } from './malformed-config-file-error.js'

/**
 * The deepest nesting a configuration file may have. Files are server-owned input: a file nested
 * thousands of levels deep would otherwise exhaust the stack or the heap of the parsing libraries
 * (the reference also refuses deep XML). Real configuration files stay well below 20 levels.
 */
export const MAX_NESTING = 64

export function refuseDeepNesting(depth: number, format: string): void {
  if (depth > MAX_NESTING) {
    throw new MalformedConfigFileError(`${format} nested deeper than ${MAX_NESTING} levels`)
  }
}

/** Deepest `[`/`{` nesting outside JSON strings. */
export function jsonDepth(text: string): number {
  let depth = 0
  let max = 0
  for (let at = 0; at < text.length; at++) {
    const char = text[at]
    if (char === '"') {
      for (at++; at < text.length && text[at] !== '"'; at++) if (text[at] === '\\') at++
    } else if (char === '[' || char === '{') {
      max = Math.max(max, ++depth)
    } else if (char === ']' || char === '}') {
      depth = Math.max(0, depth - 1)
    }
  }
  return max
}

/**
 * An upper estimate of YAML nesting: flow collections (from the library's lexer, which runs in
 * linear time) plus, per line, the indentation levels open and the compact `- `/`? ` indicators.
 */
export function yamlDepth(text: string): number {
  let flow = 0
  let max = 0
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token)
    if (type === 'flow-seq-start' || type === 'flow-map-start') max = Math.max(max, ++flow)
    else if (type === 'flow-seq-end' || type === 'flow-map-end') flow = Math.max(0, flow - 1)
  }
  const indents: number[] = []
  for (const line of text.split('\n')) {
    const indent = /^ */.exec(line)?.[0].length ?? 0
    const rest = line.slice(indent)
    if (rest.trim() === '' || rest.startsWith('#')) continue
    while (indents.length > 0 && (indents[indents.length - 1] ?? 0) >= indent) indents.pop()
    indents.push(indent)
    const compact = /^(?:[-?:](?:[ \t]+|$))*/.exec(rest)?.[0] ?? ''
    const indicators = compact.replace(/[^-?:]/g, '').length
    max = Math.max(max, indents.length + indicators)
  }
  return max
}

/** Deepest element nesting of an XML text (comments, CDATA, declarations skipped). */
export function xmlDepth(text: string): number {
  let depth = 0
  let max = 0
  let at = text.indexOf('<')
  while (at !== -1 && at < text.length) {
    let end: number
    if (text.startsWith('<!--', at)) end = endOf(text, '-->', at)
    else if (text.startsWith('<![CDATA[', at)) end = endOf(text, ']]>', at)
    else if (text.startsWith('<?', at)) end = endOf(text, '?>', at)
    else if (text.startsWith('<!', at)) end = endOf(text, hasSubset(text, at) ? ']>' : '>', at)
    else {
      end = endOf(text, '>', at)
      const tag = text.slice(at, end)
      if (tag.startsWith('</')) depth = Math.max(0, depth - 1)
      else if (!tag.endsWith('/>')) max = Math.max(max, ++depth)
    }
    at = text.indexOf('<', end)
  }
  return max
}

function endOf(text: string, terminator: string, from: number): number {
  const found = text.indexOf(terminator, from + 1)
  return found === -1 ? text.length : found + terminator.length
}

/** Whether a `<!DOCTYPE …` declaration has an internal subset (`[` before its first `>`). */
function hasSubset(text: string, from: number): boolean {
  const bracket = text.indexOf('[', from)
  const close = text.indexOf('>', from)
  return bracket !== -1 && (close === -1 || bracket < close)
}
