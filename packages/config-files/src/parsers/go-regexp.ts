/**
 * Go (RE2) regular expressions as eggs write them in `regex:` values, run on JavaScript's engine.
 * The common syntax is shared; the Go-only spellings eggs may use are translated.
 */
export function compileGoRegExp(source: string): RegExp {
  let pattern = source
  let flags = 'g'
  // Go allows flags as a leading group, `(?i)`; JavaScript takes them outside the pattern.
  const leading = /^\(\?([imsU]+)\)/.exec(pattern)
  if (leading !== null) {
    const goFlags = leading[1] ?? ''
    if (goFlags.includes('U')) throw new SyntaxError('the U (ungreedy) flag has no equivalent')
    flags += goFlags
    pattern = pattern.slice(leading[0].length)
  }
  pattern = pattern
    .replaceAll('(?P<', '(?<')
    .replaceAll('\\A', '^')
    .replaceAll('\\z', '(?![\\s\\S])')
  return new RegExp(pattern, flags)
}

/**
 * Go's `Regexp.ReplaceAllString`: every match is replaced by `template` with `$1`, `${1}`,
 * `$name` and `${name}` expanded (a missing group expands to nothing, `$$` is a dollar sign, and
 * `$1x` names the group `1x` as in Go).
 */
export function replaceAllGo(text: string, regexp: RegExp, template: string): string {
  return text.replace(regexp, (...args: unknown[]) => {
    const last = args[args.length - 1]
    const groups = typeof last === 'object' && last !== null ? (last as Record<string, string>) : {}
    const captures = args.slice(0, typeof last === 'object' ? -3 : -2) as (string | undefined)[]
    return template.replace(
      /\$(?:\$|\{(\w+)\}|(\w+))/g,
      (whole, braced?: string, bare?: string) => {
        const name = braced ?? bare
        if (name === undefined) return '$'
        if (/^\d+$/.test(name)) return captures[Number(name)] ?? ''
        return groups[name] ?? ''
      },
    )
  })
}
