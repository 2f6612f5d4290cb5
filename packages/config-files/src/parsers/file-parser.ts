import type { ResolvedReplacement } from '../resolve-replacement.js'

/**
 * The `file` parser: every line that starts with a replacement's `match` becomes that
 * replacement's raw `replace_with` (several matching replacements are concatenated); other lines
 * are kept. Every line is written with `\n`, as in the reference. `{{config.…}}` placeholders are
 * not resolved by this parser.
 */
export function rewriteTextFile(
  content: string,
  replacements: readonly ResolvedReplacement[],
): string {
  if (content === '') return ''
  const lines = content.split('\n')
  if (content.endsWith('\n')) lines.pop()
  let out = ''
  for (const rawLine of lines) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine
    let replaced = false
    for (const replacement of replacements) {
      if (!line.startsWith(replacement.match)) continue
      out += replacement.rawValue
      replaced = true
    }
    if (!replaced) out += line
    out += '\n'
  }
  return out
}
