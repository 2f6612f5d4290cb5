import type { Logger } from '@node/shared-kernel'
import type { ResolvedReplacement } from '../resolve-replacement.js'
import { joinLines, splitLines } from './text-lines.js'

/** One `key=value` entry of a properties file, spanning one or more physical lines. */
interface Entry {
  readonly key: string
  /** The value as the file holds it, escapes decoded, `${…}` references not expanded. */
  readonly value: string
  readonly firstLine: number
  readonly lastLine: number
  /** Indentation, key text and separator as written, reused when the value is replaced. */
  readonly prefix: string | undefined
}

const WHITESPACE = new Set([' ', '\t', '\f'])

/**
 * The `properties` parser (behaviour §7.2). For each replacement: with `if_value`, the key must be
 * present and its value (`${key}` references expanded) equal to `if_value`, else it is skipped;
 * otherwise the key is set, or appended when missing.
 *
 * Better than the reference, which rewrites the whole file and drops every comment after the
 * leading block: only the lines of changed keys are rewritten, so comments, order, blank lines
 * and untouched values stay byte for byte. Written values are escaped as the reference escapes
 * them (ASCII only, non-ASCII as `\uXXXX`), in the form Java's `Properties.load` reads back.
 */
export function rewriteProperties(
  content: string,
  replacements: readonly ResolvedReplacement[],
  logger: Logger,
): string {
  const file = splitLines(content)
  const entries = parseEntries(file.lines)
  const lines = [...file.lines]
  const values = new Map<string, string>()
  for (const entry of entries) values.set(entry.key, entry.value)
  const replaced = new Map<number, string>()
  const appended = new Map<string, string>()

  for (const replacement of replacements) {
    const key = replacement.match
    if (replacement.ifValue !== undefined) {
      const current = values.get(key)
      if (current === undefined || expand(current, values, logger) !== replacement.ifValue) continue
    }
    values.set(key, replacement.value)
    const own = entries.filter((entry) => entry.key === key)
    if (own.length === 0) {
      appended.set(key, `${escapeKey(key)}=${escapeValue(replacement.value)}`)
      continue
    }
    for (const entry of own) {
      const line = `${entry.prefix ?? `${escapeKey(key)}=`}${escapeValue(replacement.value)}`
      replaced.set(entry.firstLine, entry.value === replacement.value ? '' : line)
    }
  }

  // Rewrite from the bottom so that earlier line numbers stay valid.
  for (const entry of [...entries].reverse()) {
    const line = replaced.get(entry.firstLine)
    if (line === undefined || line === '') continue
    lines.splice(entry.firstLine, entry.lastLine - entry.firstLine + 1, line)
  }
  lines.push(...appended.values())
  return joinLines(file, lines)
}

/** Splits physical lines into entries, following `java.util.Properties.load`. */
function parseEntries(lines: readonly string[]): Entry[] {
  const entries: Entry[] = []
  for (let index = 0; index < lines.length; index++) {
    const first = lines[index] ?? ''
    const trimmed = trimStart(first)
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) continue
    const firstLine = index
    let logical = trimmed
    // A line ending in an odd number of backslashes continues on the next one.
    while (endsWithContinuation(logical) && index + 1 < lines.length) {
      index++
      logical = logical.slice(0, -1) + trimStart(lines[index] ?? '')
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1)
    const { key, valueStart } = splitKey(logical)
    const indentation = first.slice(0, first.length - trimmed.length)
    // The key and separator are reused when they sit on the entry's first line.
    const onFirstLine = trimmed.length - (index === firstLine ? 0 : 1)
    const prefix =
      valueStart <= onFirstLine ? indentation + logical.slice(0, valueStart) : undefined
    entries.push({
      key: unescape(key),
      value: unescape(logical.slice(valueStart)),
      firstLine,
      lastLine: index,
      prefix,
    })
  }
  return entries
}

function trimStart(text: string): string {
  let start = 0
  while (start < text.length && WHITESPACE.has(text[start] ?? '')) start++
  return text.slice(start)
}

function endsWithContinuation(text: string): boolean {
  let count = 0
  for (let at = text.length - 1; at >= 0 && text[at] === '\\'; at--) count++
  return count % 2 === 1
}

/** The raw key and where the value starts: the key ends at an unescaped `=`, `:` or blank. */
function splitKey(logical: string): { key: string; valueStart: number } {
  let at = 0
  while (at < logical.length) {
    const char = logical[at] ?? ''
    if (char === '\\') {
      at += 2
      continue
    }
    if (char === '=' || char === ':' || WHITESPACE.has(char)) break
    at++
  }
  const key = logical.slice(0, at)
  while (at < logical.length && WHITESPACE.has(logical[at] ?? '')) at++
  if (logical[at] === '=' || logical[at] === ':') at++
  while (at < logical.length && WHITESPACE.has(logical[at] ?? '')) at++
  return { key, valueStart: at }
}

function unescape(text: string): string {
  if (!text.includes('\\')) return text
  let out = ''
  for (let at = 0; at < text.length; at++) {
    const char = text[at] ?? ''
    if (char !== '\\') {
      out += char
      continue
    }
    const next = text[++at] ?? ''
    if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 1, at + 5))) {
      out += String.fromCharCode(Number.parseInt(text.slice(at + 1, at + 5), 16))
      at += 4
    } else {
      out +=
        next === 't' ? '\t' : next === 'n' ? '\n' : next === 'r' ? '\r' : next === 'f' ? '\f' : next
    }
  }
  return out
}

/** Expands `${key}` references against the file's own keys; unknown or circular ones stay. */
function expand(
  value: string,
  values: ReadonlyMap<string, string>,
  logger: Logger,
  seen = new Set<string>(),
): string {
  return value.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    const target = values.get(name)
    if (target === undefined) return whole
    if (seen.has(name)) {
      logger.warn('circular reference in properties file', { key: name })
      return whole
    }
    return expand(target, values, logger, new Set([...seen, name]))
  })
}

/** The reference's Go `QuoteToASCII` escaping, in the forms Java reads back. */
function escapeValue(value: string): string {
  let out = ''
  for (let at = 0; at < value.length; at++) {
    // Java drops leading blanks of a value, so a leading space must be escaped to survive.
    out += at === 0 && value[at] === ' ' ? '\\ ' : escapeChar(value, at)
  }
  return out
}

/** Keys also escape the characters that would end them. */
function escapeKey(key: string): string {
  let out = ''
  for (let at = 0; at < key.length; at++) {
    const char = key[at] ?? ''
    out += '=: #!'.includes(char) ? `\\${char}` : escapeChar(key, at)
  }
  return out
}

function escapeChar(text: string, at: number): string {
  const char = text[at] ?? ''
  const code = text.charCodeAt(at)
  if (char === '\\') return '\\\\'
  if (char === '"') return '\\"'
  if (char === '\t') return '\\t'
  if (char === '\n') return '\\n'
  if (char === '\r') return '\\r'
  if (char === '\f') return '\\f'
  if (code < 0x20 || code > 0x7e) return `\\u${code.toString(16).padStart(4, '0')}`
  return char
}
