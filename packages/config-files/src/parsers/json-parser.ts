import type { Logger } from '@node/shared-kernel'
import { isMap, isScalar, isSeq, parseDocument } from 'yaml'
import type { ResolvedReplacement } from '../resolve-replacement.js'
import { applyDocumentReplacements } from './document-paths.js'
import { MalformedConfigFileError } from './malformed-config-file-error.js'
import { jsonDepth, refuseDeepNesting } from './nesting-depth.js'

/**
 * The `json` parser: replacements follow document-paths.ts; the result is written with 4-space
 * indentation, as the reference writes it.
 *
 * Better than the reference, which sorts keys: keys keep their order, and numbers left alone keep
 * their exact spelling (`1.0`, big integers). An empty file counts as `{}`, so a missing file is
 * created with the replacements in it (the reference leaves it empty).
 */
export function rewriteJson(
  content: string,
  replacements: readonly ResolvedReplacement[],
  logger: Logger,
): string {
  const text = content.replace(/^\uFEFF/, '').trim() === '' ? '{}' : content.replace(/^\uFEFF/, '')
  refuseDeepNesting(jsonDepth(text), 'JSON')
  try {
    JSON.parse(text)
  } catch (err) {
    throw new MalformedConfigFileError(`invalid JSON: ${(err as Error).message}`, { cause: err })
  }
  // The yaml library keeps key order and source positions, which JSON.parse does not.
  const doc = parseDocument(text, { schema: 'json', uniqueKeys: false })
  const [error] = doc.errors
  if (error !== undefined) {
    throw new MalformedConfigFileError(`invalid JSON: ${error.message}`, { cause: error })
  }
  const before = stringify(doc.contents, text, '')
  applyDocumentReplacements(doc, replacements, logger)
  const after = stringify(doc.contents, text, '')
  // Nothing changed: the file stays byte for byte, whatever its indentation.
  if (after === before && content.trim() !== '') return content
  return after + (content.endsWith('\n') ? '\n' : '')
}

function stringify(node: unknown, source: string, indent: string): string {
  const inner = `${indent}    `
  if (isMap(node)) {
    if (node.items.length === 0) return '{}'
    const members = node.items.map((pair) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      return `${inner}${JSON.stringify(key)}: ${stringify(pair.value, source, inner)}`
    })
    return `{\n${members.join(',\n')}\n${indent}}`
  }
  if (isSeq(node)) {
    if (node.items.length === 0) return '[]'
    const items = node.items.map((item) => `${inner}${stringify(item, source, inner)}`)
    return `[\n${items.join(',\n')}\n${indent}]`
  }
  if (isScalar(node)) {
    const value = node.value
    if (typeof value === 'number' && node.range !== undefined && node.range !== null) {
      return source.slice(node.range[0], node.range[1])
    }
    if (typeof value === 'bigint') return value.toString()
    if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null'
    return JSON.stringify(value ?? null)
  }
  return 'null'
}
