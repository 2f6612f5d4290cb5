import { jailError } from './errors.js'
import { nameByteLength } from './name-bytes.js'

/** Linux limits: NAME_MAX for one component, PATH_MAX for a whole path (bytes, with the NUL). */
const NAME_MAX = 255
const PATH_MAX = 4096

/** A path inside a jail, lexically resolved: no `.`, `..` or empty components remain. */
export interface JailPath {
  /** The path as the caller gave it; used in errors and logs. */
  readonly input: string
  /** Components from the root; empty for the root itself. */
  readonly components: readonly string[]
  /** `components` joined with `/`, no leading slash; `''` for the root. */
  readonly relative: string
}

/**
 * Parses a client path (relative to the server root, a leading `/` allowed) the way the spec's
 * path rules read it: `..` is resolved lexically and must not climb above the root. Further
 * `names` are read as inside the path before them (a `root` and the names under it, as the file
 * endpoints send them): each is parsed on top of the components so far, never joined first, so
 * a `..` that climbs out is refused rather than clamped at the root. Throws the §3.1 errors: 404
 * for NUL bytes, non-strings and escapes, 400 for overlong names.
 */
export function parseJailPath(input: unknown, ...names: readonly unknown[]): JailPath {
  const parts = [input, ...names]
  const text = parts.map(String).join('/')
  for (const part of parts) {
    if (typeof part !== 'string' || part.includes('\0')) throw jailError('bad_path', text)
  }
  if (nameByteLength(text) >= PATH_MAX) throw jailError('name_too_long', text)
  const components: string[] = []
  for (const part of (parts as string[]).flatMap((p) => p.split('/'))) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (components.length === 0) throw jailError('outside_root', text)
      components.pop()
      continue
    }
    if (nameByteLength(part) > NAME_MAX) throw jailError('name_too_long', text)
    components.push(part)
  }
  return { input: text, components, relative: components.join('/') }
}

/**
 * `name` inside the directory `root`, both as a client sent them, parsed by parseJailPath
 * without joining them first; the canonical path relative to the server root.
 */
export function jailPathIn(root: string, name: string): string {
  return parseJailPath(root, name).relative
}

/** True when `name` is one component that may be handed to an *at call relative to a dirfd. */
export function isPlainName(name: string): boolean {
  return (
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    !name.includes('/') &&
    !name.includes('\0') &&
    nameByteLength(name) <= NAME_MAX
  )
}
