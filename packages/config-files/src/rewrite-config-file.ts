import type { ConfigReplacement } from '@node/server-state'
import { type Logger, nullLogger } from '@node/shared-kernel'
import { MalformedConfigFileError } from './parsers/malformed-config-file-error.js'
import { isKnownParser, parseBytes, parseText } from './parsers/parse-resolved.js'
import type { ConfigValueResolver } from './ports/config-value-resolver.js'
import { resolveReplacement, type ResolvedReplacement } from './resolve-replacement.js'

export { isKnownParser }

export interface RewriteOptions {
  /** Answers `{{config.…}}` placeholders; without one they resolve to an empty string. */
  readonly resolver?: ConfigValueResolver
  /** Receives the warnings of skipped replacements. */
  readonly logger?: Logger
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** Resolves `{{config.…}}` placeholders of every replacement (behaviour §7.1). */
export function resolveReplacements(
  replacements: readonly ConfigReplacement[],
  options: RewriteOptions,
): ResolvedReplacement[] {
  const logger = options.logger ?? nullLogger
  return replacements.map((replacement) =>
    resolveReplacement(replacement, options.resolver, logger),
  )
}

/**
 * Applies one egg parser to a file's content and returns the new content, or `undefined` for an
 * unknown parser (a no-op, as in the reference). Throws MalformedConfigFileError when the parser
 * cannot read the content; skipped replacements are only logged. Runs on the calling thread:
 * rewriteConfigFiles runs parsers in a worker instead.
 */
export function rewriteConfigFile(
  parser: string,
  content: string | Buffer,
  replacements: readonly ConfigReplacement[],
  options: RewriteOptions = {},
): string | undefined {
  if (!isKnownParser(parser)) return undefined
  const text = typeof content === 'string' ? content : decodeUtf8(content)
  return parseText(parser, text, resolveReplacements(replacements, options), logger(options))
}

/**
 * The bytes variant: UTF-8, except that a file which is not valid UTF-8 is kept byte for byte by
 * the line parsers (read and written as Latin-1) and refused by the others.
 */
export function rewriteConfigFileBytes(
  parser: string,
  content: Buffer,
  replacements: readonly ConfigReplacement[],
  options: RewriteOptions = {},
): Buffer | undefined {
  if (!isKnownParser(parser)) return undefined
  return parseBytes(parser, content, resolveReplacements(replacements, options), logger(options))
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

function logger(options: RewriteOptions): Logger {
  return options.logger ?? nullLogger
}

function decodeUtf8(content: Buffer): string {
  try {
    return UTF8.decode(content)
  } catch (err) {
    throw new MalformedConfigFileError('the file is not valid UTF-8', { cause: err })
  }
}
