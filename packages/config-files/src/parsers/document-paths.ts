import type { Logger } from '@node/shared-kernel'
import { type Document, isAlias, isMap, isScalar, isSeq, Scalar, YAMLMap, YAMLSeq } from 'yaml'
import type { ResolvedReplacement } from '../resolve-replacement.js'
import { compileGoRegExp, replaceAllGo } from './go-regexp.js'

/**
 * The JSON/YAML replacement rules (behaviour §7.2), applied to a `yaml` document tree so that
 * YAML keeps its comments and both formats keep their key order.
 *
 * Paths: `a.b.c` (`~1` stands for a dot in a key, `~0` for a tilde, as in the reference's path
 * library); `a[0].b` indexes an array, which is created only for index 0 when absent;
 * `a.*.b` applies `b` under every child of `a` (first `.*` only); a numeric segment indexes an
 * existing array.
 *
 * `if_value` follows the reference's intent (its own tests) rather than its accident (behaviour
 * §7.2 QUIRK, where a plain `if_value` compares the whole document and `regex:` never applies):
 * a plain `if_value` applies when the current value's text equals it; a `regex:` one rewrites
 * the current value with the pattern's matches replaced by `replace_with` (`$2` expands to the
 * second group). Neither creates a missing key.
 */
export function applyDocumentReplacements(
  doc: Document,
  replacements: readonly ResolvedReplacement[],
  logger: Logger,
): void {
  for (const replacement of replacements) {
    const wildcard = replacement.match.indexOf('.*')
    if (wildcard === -1) {
      applyAt(doc, doc.contents, replacement.match, replacement, logger)
      continue
    }
    const parentPath = trimDots(replacement.match.slice(0, wildcard))
    const childPath = trimDots(replacement.match.slice(wildcard + 2))
    const parent = parentPath === '' ? doc.contents : lookup(doc, doc.contents, parentPath)
    const resolved = resolve(doc, parent)
    const children = isMap(resolved)
      ? resolved.items.map((pair) => pair.value)
      : isSeq(resolved)
        ? resolved.items
        : []
    if (childPath === '') {
      logger.warn('configuration wildcard without a key after it', { match: replacement.match })
      continue
    }
    for (const child of children) applyAt(doc, child, childPath, replacement, logger)
  }
}

/** The value a replacement writes: booleans stay booleans, integer text becomes a number. */
function typedValue(replacement: ResolvedReplacement): boolean | number | bigint | string {
  const text = replacement.value
  if (replacement.isBoolean) return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)
  if (/^[+-]?\d+$/.test(text)) {
    const big = BigInt(text)
    if (big >= -(2n ** 63n) && big < 2n ** 63n) {
      return Number.isSafeInteger(Number(big)) ? Number(big) : big
    }
  }
  return text
}

function applyAt(
  doc: Document,
  base: unknown,
  path: string,
  replacement: ResolvedReplacement,
  logger: Logger,
): void {
  const fields = { match: replacement.match }
  if (replacement.ifValue === undefined) {
    report(setAt(doc, base, path, typedValue(replacement)), fields, logger)
    return
  }
  const current = resolve(doc, lookup(doc, base, path))
  if (!isScalar(current)) return
  const text = scalarText(current)
  if (!replacement.ifValue.startsWith('regex:')) {
    if (text === replacement.ifValue) {
      report(setAt(doc, base, path, typedValue(replacement)), fields, logger)
    }
    return
  }
  let regexp: RegExp
  try {
    regexp = compileGoRegExp(replacement.ifValue.slice('regex:'.length))
  } catch (err) {
    logger.warn('configuration if_value is not a valid regular expression', {
      ...fields,
      if_value: replacement.ifValue,
      error: (err as Error).message,
    })
    return
  }
  if (!regexp.test(text)) return
  regexp.lastIndex = 0
  report(setAt(doc, base, path, replaceAllGo(text, regexp, replacement.value)), fields, logger)
}

function report(outcome: string | undefined, fields: Record<string, string>, logger: Logger): void {
  if (outcome !== undefined) logger.warn(`configuration value not set: ${outcome}`, fields)
}

const ARRAY_ELEMENT = /^([^[\]]+)\[(\d+)\](\..+)?$/

/** Sets the value at `path` under `base`; returns why it could not, or `undefined` on success. */
function setAt(doc: Document, base: unknown, path: string, value: unknown): string | undefined {
  const element = ARRAY_ELEMENT.exec(path)
  if (element === null) return setSegments(doc, base, segments(path), value)
  const arrayPath = segments(element[1] ?? '')
  const index = Number(element[2])
  const rest = element[3]?.slice(1)
  const existing = resolve(doc, lookupSegments(doc, base, arrayPath))
  let array: YAMLSeq
  if (isSeq(existing) && index < existing.items.length) {
    array = existing
  } else {
    const absent =
      existing === undefined || isNull(existing) || (isSeq(existing) && existing.items.length === 0)
    if (index !== 0 || !absent) return `${element[1]} has no element ${index}`
    array = new YAMLSeq()
    array.items.push(rest === undefined ? new Scalar(null) : new YAMLMap())
    const outcome = setSegments(doc, base, arrayPath, array)
    if (outcome !== undefined) return outcome
  }
  if (rest === undefined) {
    array.items[index] = carryOver(array.items[index], doc.createNode(value))
    return undefined
  }
  return setSegments(doc, array.items[index], segments(rest), value)
}

function setSegments(
  doc: Document,
  base: unknown,
  path: readonly string[],
  value: unknown,
): string | undefined {
  let node = resolve(doc, base)
  for (const [at, segment] of path.entries()) {
    const last = at === path.length - 1
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === segment)
      if (last) {
        const created =
          value instanceof YAMLSeq || value instanceof YAMLMap ? value : doc.createNode(value)
        if (pair === undefined) node.items.push(doc.createPair(segment, created))
        else pair.value = carryOver(pair.value, created)
        return undefined
      }
      let next = resolve(doc, pair?.value)
      if (pair === undefined || isNull(next)) {
        next = new YAMLMap()
        if (pair === undefined) node.items.push(doc.createPair(segment, next))
        else pair.value = next
      }
      node = next
    } else if (isSeq(node) && /^\d+$/.test(segment) && Number(segment) < node.items.length) {
      if (last) {
        const created =
          value instanceof YAMLSeq || value instanceof YAMLMap ? value : doc.createNode(value)
        node.items[Number(segment)] = carryOver(node.items[Number(segment)], created)
        return undefined
      }
      node = resolve(doc, node.items[Number(segment)])
    } else {
      return `${path.slice(0, at).join('.') || 'the value at the start of the path'} is not an object`
    }
  }
  return 'empty path'
}

/** The node at `path` under `base` (array syntax included), or `undefined`. */
function lookup(doc: Document, base: unknown, path: string): unknown {
  const element = ARRAY_ELEMENT.exec(path)
  if (element === null) return lookupSegments(doc, base, segments(path))
  const array = resolve(doc, lookupSegments(doc, base, segments(element[1] ?? '')))
  if (!isSeq(array)) return undefined
  const item = array.items[Number(element[2])]
  const rest = element[3]?.slice(1)
  return rest === undefined ? item : lookupSegments(doc, item, segments(rest))
}

function lookupSegments(doc: Document, base: unknown, path: readonly string[]): unknown {
  let node = base
  for (const segment of path) {
    node = resolve(doc, node)
    if (isMap(node)) node = node.items.find((item) => keyText(item.key) === segment)?.value
    else if (isSeq(node) && /^\d+$/.test(segment)) node = node.items[Number(segment)]
    else return undefined
    if (node === undefined) return undefined
  }
  return node
}

function segments(path: string): string[] {
  return path.split('.').map((segment) => segment.replaceAll('~1', '.').replaceAll('~0', '~'))
}

function trimDots(text: string): string {
  return text.replace(/^\.+|\.+$/g, '')
}

/** Aliases are followed, so a change through one reaches every use of its anchor. */
function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node
}

function isNull(node: unknown): boolean {
  return node === null || (isScalar(node) && node.value === null)
}

function keyText(key: unknown): string {
  return String(isScalar(key) ? key.value : key)
}

/** A scalar as text: strings as they are, other values as the file spells them. */
function scalarText(node: Scalar): string {
  if (typeof node.value === 'string') return node.value
  return node.source ?? String(node.value)
}

/** Keeps the comments and, for string-to-string changes, the quoting of the node replaced. */
function carryOver(previous: unknown, next: unknown): unknown {
  if (!isScalar(previous) || !isScalar(next)) return next
  // An equal value keeps the node as written, so an unchanged file serialises as before.
  if (previous.value === next.value) return previous
  next.comment = previous.comment
  next.commentBefore = previous.commentBefore
  next.spaceBefore = previous.spaceBefore
  if (typeof previous.value === 'string' && typeof next.value === 'string')
    next.type = previous.type
  return next
}
