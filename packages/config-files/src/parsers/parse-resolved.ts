import type { Logger } from '@node/shared-kernel'
import type { ResolvedReplacement } from '../resolve-replacement.js'
import { rewriteTextFile } from './file-parser.js'
import { rewriteIni } from './ini-parser.js'
import { rewriteJson } from './json-parser.js'
import { MalformedConfigFileError } from './malformed-config-file-error.js'
import { rewriteProperties } from './properties-parser.js'
import { rewriteXml } from './xml-parser.js'
import { rewriteYaml } from './yaml-parser.js'

// Imports no @node/* value: the parse worker loads this module on its own (parse-worker.ts).

type Parser = (
  content: string,
  replacements: readonly ResolvedReplacement[],
  logger: Logger,
) => string

const PARSERS: Readonly<Record<string, Parser>> = {
  properties: rewriteProperties,
  file: (content, replacements) => rewriteTextFile(content, replacements),
  yaml: rewriteYaml,
  yml: rewriteYaml,
  json: rewriteJson,
  ini: rewriteIni,
  xml: rewriteXml,
}

/** Parsers that keep lines they do not change, so a file that is not UTF-8 survives as bytes. */
const LINE_PARSERS = new Set(['properties', 'file', 'ini'])

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** Whether `parser` names one of the egg parsers; any other parser is a no-op. */
export function isKnownParser(parser: string): boolean {
  return Object.prototype.hasOwnProperty.call(PARSERS, parser)
}

/** Runs one parser on text; `undefined` for an unknown parser. */
export function parseText(
  parser: string,
  content: string,
  replacements: readonly ResolvedReplacement[],
  logger: Logger,
): string | undefined {
  const run = isKnownParser(parser) ? PARSERS[parser] : undefined
  return run?.(content, replacements, logger)
}

/**
 * Runs one parser on bytes: UTF-8, except that a file which is not valid UTF-8 is kept byte for
 * byte by the line parsers (read and written as Latin-1) and refused by the others.
 */
export function parseBytes(
  parser: string,
  content: Uint8Array,
  replacements: readonly ResolvedReplacement[],
  logger: Logger,
): Buffer | undefined {
  if (!isKnownParser(parser)) return undefined
  let text: string
  let encoding: 'utf8' | 'latin1' = 'utf8'
  try {
    text = UTF8.decode(content)
  } catch (err) {
    if (!LINE_PARSERS.has(parser)) {
      throw new MalformedConfigFileError('the file is not valid UTF-8', { cause: err })
    }
    text = Buffer.from(content).toString('latin1')
    encoding = 'latin1'
  }
  const output = parseText(parser, text, replacements, logger)
  return output === undefined ? undefined : Buffer.from(output, encoding)
}
