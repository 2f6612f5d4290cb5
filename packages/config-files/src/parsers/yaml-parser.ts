import type { Logger } from '@node/shared-kernel'
import { type Document, isMap, parseDocument, YAMLMap } from 'yaml'
import type { ResolvedReplacement } from '../resolve-replacement.js'
import { applyDocumentReplacements } from './document-paths.js'
import { MalformedConfigFileError } from './malformed-config-file-error.js'
import { refuseDeepNesting, yamlDepth } from './nesting-depth.js'

/**
 * The `yaml`/`yml` parser: the root must be a mapping (an empty file counts as an empty one),
 * replacements follow the JSON rules (document-paths.ts).
 *
 * Better than the reference, which round-trips through JSON and writes keys sorted with comments
 * and anchors lost: the document is edited in place, so comments, key order, anchors and quoting
 * survive. Files are read as YAML 1.1, as SnakeYAML (Bukkit, BungeeCord) reads them, so a string
 * such as `yes` is written quoted. Indentation, and whether sequences are indented below their
 * key, follow the file's own (4 and indented for new files, as the reference writes).
 */
export function rewriteYaml(
  content: string,
  replacements: readonly ResolvedReplacement[],
  logger: Logger,
): string {
  refuseDeepNesting(yamlDepth(content), 'YAML')
  const doc: Document = parseDocument(content, { version: '1.1', uniqueKeys: false })
  const [error] = doc.errors
  if (error !== undefined) {
    throw new MalformedConfigFileError(`invalid YAML: ${error.message}`, { cause: error })
  }
  if (doc.contents === null) doc.contents = new YAMLMap()
  if (!isMap(doc.contents)) throw new MalformedConfigFileError('the YAML root is not a mapping')
  const flushSequences = hasFlushSequences(content)
  const options = {
    // The library indents flush sequences by indent - 2, so they need 2 to stay flush.
    indent: detectIndent(content) ?? (flushSequences ? 2 : 4),
    indentSeq: !flushSequences,
    lineWidth: 0,
  }
  const before = doc.toString(options)
  applyDocumentReplacements(doc, replacements, logger)
  const after = doc.toString(options)
  // Nothing changed: the file stays byte for byte, not in the library's normalised spelling.
  return after === before && content.trim() !== '' ? content : after
}

/** The indentation of the first indented key line, when within 2 to 8 spaces. */
function detectIndent(content: string): number | undefined {
  const width = /^( +)[^\s#-]/m.exec(content)?.[1]?.length
  return width !== undefined && width >= 2 && width <= 8 ? width : undefined
}

/**
 * Whether the file writes sequences flush with their key (`key:` then `- item` below it). Plain
 * string scans: a backtracking pattern here could be made slow by a crafted file.
 */
function hasFlushSequences(content: string): boolean {
  const lines = content.split('\n')
  for (let index = 0; index + 1 < lines.length; index++) {
    const next = lines[index + 1] ?? ''
    const indent = next.length - next.trimStart().length
    if (!next.startsWith('- ', indent) && next.trimEnd() !== `${' '.repeat(indent)}-`) continue
    const line = lines[index] ?? ''
    if (line.length - line.trimStart().length !== indent) continue
    const comment = line.indexOf(' #')
    const key = (comment === -1 ? line : line.slice(0, comment)).trimEnd()
    if (key.endsWith(':') && !key.trimStart().startsWith('-')) return true
  }
  return false
}
