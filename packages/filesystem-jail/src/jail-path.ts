import { jailError } from './errors.js'

/** Linux limits: NAME_MAX for one component, PATH_MAX for a whole path (bytes, with the NUL). */
export const NAME_MAX = 255
export const PATH_MAX = 4096

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
 * path rules read it: `..` is resolved lexically and must not climb above the root. Throws the
 * §3.1 errors: 404 for NUL bytes, non-strings and escapes, 400 for overlong names.
 */
export function parseJailPath(input: unknown): JailPath {
  if (typeof input !== 'string') throw jailError('bad_path', String(input))
  if (input.includes('\0')) throw jailError('bad_path', input)
  if (Buffer.byteLength(input) >= PATH_MAX) throw jailError('name_too_long', input)
  const components: string[] = []
  for (const part of input.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (components.length === 0) throw jailError('outside_root', input)
      components.pop()
      continue
    }
    if (Buffer.byteLength(part) > NAME_MAX) throw jailError('name_too_long', input)
    components.push(part)
  }
  return { input, components, relative: components.join('/') }
}

/** The path `name` inside `parent`; `name` may itself hold several components. */
export function joinJailPath(parent: JailPath, name: string): JailPath {
  return parseJailPath(`${parent.relative}/${name}`)
}

/** True when `name` is one component that may be handed to an *at call relative to a dirfd. */
export function isPlainName(name: string): boolean {
  return (
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    !name.includes('/') &&
    !name.includes('\0') &&
    Buffer.byteLength(name) <= NAME_MAX
  )
}
