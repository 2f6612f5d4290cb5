import type { Logger } from '@node/shared-kernel'
import type { ResolvedReplacement } from '../resolve-replacement.js'
import { joinLines, splitLines } from './text-lines.js'

/** The section of keys above the first header (`[DEFAULT]` names it too, as in the reference). */
const DEFAULT_SECTION = 'DEFAULT'

type IniLine =
  | { readonly kind: 'other' }
  | { readonly kind: 'section'; readonly name: string }
  | {
      readonly kind: 'key'
      readonly key: string
      readonly section: string
      /** Indentation, key, delimiter and the blanks around it, reused when the value changes. */
      readonly prefix: string
      readonly value: string
    }

/**
 * The `ini` parser (behaviour §7.2): `match` is `section.key`, split at the first dot outside
 * `[...]` with the brackets dropped (`[/Script/Engine.GameSession].MaxPlayers`); without a dot
 * the key is in the default section. The key is set where present, else created (with its
 * section when that is missing). `if_value` is ignored, as in the reference.
 *
 * Better than the reference, which re-renders the whole file in its INI library's format: only
 * the lines of changed keys are rewritten (keeping their `key=value` or `key = value` spacing),
 * so comments, blank lines, order and lines the library would reject all survive. New keys
 * follow the file's first key line's spacing (`key = value` in a file without keys).
 */
export function rewriteIni(
  content: string,
  replacements: readonly ResolvedReplacement[],
  logger: Logger,
): string {
  const file = splitLines(content)
  const lines = [...file.lines]
  let parsed = lines.map(parseLine(DEFAULT_SECTION))
  const firstKey = parsed.find((line) => line.kind === 'key')
  const delimiter = firstKey === undefined ? ' = ' : delimiterOf(firstKey.prefix, firstKey.key)

  for (const replacement of replacements) {
    const { section, key } = splitMatch(replacement.match)
    if (/[\r\n]/.test(replacement.value)) {
      logger.warn('configuration value holds a line break, not written to an INI file', {
        match: replacement.match,
      })
      continue
    }
    let found = false
    for (const [index, line] of parsed.entries()) {
      if (line.kind !== 'key' || line.section !== section || line.key !== key) continue
      found = true
      if (line.value === replacement.value) continue
      lines[index] = line.prefix + replacement.value
      parsed[index] = { ...line, value: replacement.value }
    }
    if (found) continue
    const newLine = `${key}${delimiter}${replacement.value}`
    const at = insertionPoint(parsed, section)
    if (at === undefined) {
      if (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() !== '') lines.push('')
      lines.push(`[${section}]`, newLine)
    } else {
      lines.splice(at, 0, newLine)
    }
    parsed = lines.map(parseLine(DEFAULT_SECTION))
  }
  return joinLines(file, lines)
}

/** `section.key` → its parts; the first dot outside brackets splits, brackets are dropped. */
export function splitMatch(match: string): { section: string; key: string } {
  let depth = 0
  let first = ''
  let current = ''
  let split = false
  for (const char of match) {
    if (char === '[') depth++
    else if (char === ']') depth--
    else if (char === '.' && depth <= 0 && !split) {
      first = current
      current = ''
      split = true
    } else current += char
  }
  return split ? { section: first, key: current } : { section: DEFAULT_SECTION, key: current }
}

function parseLine(initial: string): (text: string) => IniLine {
  let section = initial
  return (text) => {
    const trimmed = text.trim()
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#'))
      return { kind: 'other' }
    if (trimmed.startsWith('[')) {
      const close = trimmed.lastIndexOf(']')
      if (close > 0) {
        section = trimmed.slice(1, close).trim() || DEFAULT_SECTION
        return { kind: 'section', name: section }
      }
    }
    const delimiter = /[=:]/.exec(text)
    if (delimiter === null) return { kind: 'other' }
    const key = text.slice(0, delimiter.index).trim()
    if (key === '') return { kind: 'other' }
    const after = /^[ \t]*/.exec(text.slice(delimiter.index + 1))?.[0] ?? ''
    const valueStart = delimiter.index + 1 + after.length
    return {
      kind: 'key',
      key,
      section,
      prefix: text.slice(0, valueStart),
      value: text.slice(valueStart).trim(),
    }
  }
}

function delimiterOf(prefix: string, key: string): string {
  return prefix.trimStart().slice(key.length)
}

/**
 * Where a new key of `section` goes: after the section's last key line, else right after its
 * header; for the default section without keys, before the first header. `undefined` when the
 * section does not exist.
 */
function insertionPoint(parsed: readonly IniLine[], section: string): number | undefined {
  let at: number | undefined
  let firstHeader: number | undefined
  for (const [index, line] of parsed.entries()) {
    if (line.kind === 'section') {
      firstHeader ??= index
      if (line.name === section && at === undefined) at = index + 1
    } else if (line.kind === 'key' && line.section === section) {
      at = index + 1
    }
  }
  if (at !== undefined || section !== DEFAULT_SECTION) return at
  if (firstHeader === undefined) return parsed.length
  // Above the first header, before the blank lines and comments that lead into it.
  let before = firstHeader
  while (before > 0 && parsed[before - 1]?.kind === 'other') before--
  return before
}
