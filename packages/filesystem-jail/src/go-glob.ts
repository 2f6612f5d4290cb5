type Token =
  | { readonly kind: 'star' }
  | { readonly kind: 'any' }
  | { readonly kind: 'char'; readonly char: string }
  | {
      readonly kind: 'class'
      readonly negated: boolean
      readonly ranges: readonly (readonly [string, string])[]
    }

/**
 * A matcher for Go's `filepath.Match` patterns on one file name: `*` (any run of characters but
 * `/`), `?` (one character but `/`), `[a-z]` and `[^…]` classes, `\` escapes. A malformed pattern
 * matches nothing, as the reference treats Match's error. Runs in O(name × pattern): a star
 * never makes it backtrack further than the last star.
 */
export function goGlob(pattern: string): (name: string) => boolean {
  const tokens = parse([...pattern])
  if (tokens === undefined) return () => false
  return (name) => matches(tokens, [...name])
}

function parse(chars: readonly string[]): Token[] | undefined {
  const tokens: Token[] = []
  let i = 0
  while (i < chars.length) {
    const c = chars[i++]!
    if (c === '*') tokens.push({ kind: 'star' })
    else if (c === '?') tokens.push({ kind: 'any' })
    else if (c === '\\') {
      if (i >= chars.length) return undefined
      tokens.push({ kind: 'char', char: chars[i++]! })
    } else if (c === '[') {
      const negated = chars[i] === '^'
      if (negated) i++
      const ranges: [string, string][] = []
      for (;;) {
        if (i >= chars.length) return undefined
        if (chars[i] === ']' && ranges.length > 0) {
          i++
          break
        }
        const lo = classChar(chars, i)
        if (lo === undefined) return undefined
        i = lo.next
        let hi = lo.char
        if (chars[i] === '-') {
          const upper = classChar(chars, i + 1)
          if (upper === undefined) return undefined
          hi = upper.char
          i = upper.next
        }
        ranges.push([lo.char, hi])
      }
      tokens.push({ kind: 'class', negated, ranges })
    } else tokens.push({ kind: 'char', char: c })
  }
  return tokens
}

/** One character of a class: not `-` or `]` unescaped, `\x` for x. */
function classChar(
  chars: readonly string[],
  i: number,
): { char: string; next: number } | undefined {
  const c = chars[i]
  if (c === undefined || c === '-' || c === ']') return undefined
  if (c !== '\\') return { char: c, next: i + 1 }
  const escaped = chars[i + 1]
  return escaped === undefined ? undefined : { char: escaped, next: i + 2 }
}

function matchesOne(token: Token, c: string): boolean {
  switch (token.kind) {
    case 'any':
      return c !== '/'
    case 'char':
      return token.char === c
    case 'class': {
      const inside = token.ranges.some(([lo, hi]) => cmp(lo, c) <= 0 && cmp(c, hi) <= 0)
      return c !== '/' && inside !== token.negated
    }
    case 'star':
      return false
  }
}

function cmp(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!
}

function matches(tokens: readonly Token[], name: readonly string[]): boolean {
  let t = 0
  let n = 0
  let star = -1
  let starName = 0
  while (n < name.length) {
    const token = tokens[t]
    if (token?.kind === 'star') {
      star = t++
      starName = n
    } else if (token !== undefined && matchesOne(token, name[n]!)) {
      t++
      n++
    } else if (star >= 0 && name[starName] !== '/') {
      // The last star takes one more character, and the rest is tried again after it.
      t = star + 1
      n = ++starName
    } else return false
  }
  while (tokens[t]?.kind === 'star') t++
  return t === tokens.length
}
