import type { ConfigReplacement } from '@node/server-state'
import { type Logger, nullLogger } from '@node/shared-kernel'
import { rewriteTextFile } from './parsers/file-parser.js'
import { rewriteIni } from './parsers/ini-parser.js'
import { rewriteJson } from './parsers/json-parser.js'
import { MalformedConfigFileError } from './parsers/malformed-config-file-error.js'
import { rewriteProperties } from './parsers/properties-parser.js'
import { rewriteXml } from './parsers/xml-parser.js'
import { rewriteYaml } from './parsers/yaml-parser.js'
import type { ConfigValueResolver } from './ports/config-value-resolver.js'
import { resolveReplacement, type ResolvedReplacement } from './resolve-replacement.js'

export interface RewriteOptions {
  /** Answers `{{config.…}}` placeholders; without one they resolve to an empty string. */
  readonly resolver?: ConfigValueResolver
  /** Receives the warnings of skipped replacements. */
  readonly logger?: Logger
}

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

/**
 * Applies one egg parser to a file's content and returns the new content, or `undefined` for an
 * unknown parser (a no-op, as in the reference). Throws MalformedConfigFileError when the parser
 * cannot read the content; skipped replacements are only logged.
 */
export function rewriteConfigFile(
  parser: string,
  content: string | Buffer,
  replacements: readonly ConfigReplacement[],
  options: RewriteOptions = {},
): string | undefined {
  const run = isKnownParser(parser) ? PARSERS[parser] : undefined
  if (run === undefined) return undefined
  const logger = options.logger ?? nullLogger
  const resolved = replacements.map((replacement) =>
    resolveReplacement(replacement, options.resolver, logger),
  )
  return run(typeof content === 'string' ? content : decodeUtf8(content), resolved, logger)
}

function decodeUtf8(content: Buffer): string {
  try {
    return UTF8.decode(content)
  } catch (err) {
    throw new MalformedConfigFileError('the file is not valid UTF-8', { cause: err })
  }
}

/**
 * The bytes variant used on files: UTF-8, except that a file which is not valid UTF-8 is kept
 * byte for byte by the line parsers (read and written as Latin-1) and refused by the others.
 */
export function rewriteConfigFileBytes(
  parser: string,
  content: Buffer,
  replacements: readonly ConfigReplacement[],
  options: RewriteOptions = {},
): Buffer | undefined {
  let text: string
  let encoding: 'utf8' | 'latin1' = 'utf8'
  try {
    text = UTF8.decode(content)
  } catch (err) {
    if (!LINE_PARSERS.has(parser)) {
      if (!isKnownParser(parser)) return undefined
      throw new MalformedConfigFileError('the file is not valid UTF-8', { cause: err })
    }
    text = content.toString('latin1')
    encoding = 'latin1'
  }
  const output = rewriteConfigFile(parser, text, replacements, options)
  return output === undefined ? undefined : Buffer.from(output, encoding)
}

/** The egg parsers one by one, for callers that know which one they want. */
export const rewriteEggProperties = bind('properties')
export const rewriteEggText = bind('file')
export const rewriteEggYaml = bind('yaml')
export const rewriteEggJson = bind('json')
export const rewriteEggIni = bind('ini')
export const rewriteEggXml = bind('xml')

function bind(
  parser: string,
): (
  content: string | Buffer,
  replacements: readonly ConfigReplacement[],
  options?: RewriteOptions,
) => string {
  return (content, replacements, options) =>
    rewriteConfigFile(parser, content, replacements, options) ?? ''
}
