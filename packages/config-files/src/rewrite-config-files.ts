import type { ConfigFileRewrite } from '@node/server-state'
import type { Logger } from '@node/shared-kernel'
import type { ConfigFileIo } from './ports/config-file-io.js'
import type { ConfigValueResolver } from './ports/config-value-resolver.js'
import { isKnownParser, rewriteConfigFileBytes } from './rewrite-config-file.js'

/**
 * Files above these sizes are not parsed. The reference parses up to 64 MiB on its own goroutine;
 * here parsing runs on the event loop that serves every server, so the caps are set where the
 * slowest parsers still finish in about a second (the YAML, JSON and XML libraries manage about
 * 1-2 MB/s, the line parsers about 10 MB/s). Egg configuration files are a few kilobytes.
 */
export const MAX_DOCUMENT_FILE_BYTES = 1024 * 1024
export const MAX_LINE_FILE_BYTES = 8 * 1024 * 1024

/** The size cap for a parser: line parsers (`properties`, `ini`, `file`) get the larger one. */
export function maxFileBytes(parser: string): number {
  return parser === 'properties' || parser === 'ini' || parser === 'file'
    ? MAX_LINE_FILE_BYTES
    : MAX_DOCUMENT_FILE_BYTES
}

export type ConfigFileOutcome =
  /** The file was created or its content changed. */
  | 'written'
  /** The replacements left the content as it was; nothing was written. */
  | 'unchanged'
  /** Unknown parser: nothing was changed (a missing file was still created empty). */
  | 'skipped'
  /** Reading, parsing or writing failed; the error was logged. */
  | 'failed'

export interface ConfigFileResult {
  readonly file: string
  readonly parser: string
  readonly outcome: ConfigFileOutcome
  readonly error?: Error
}

/**
 * Rewrites the egg's configuration files before a start (behaviour §7): a missing file is
 * created (empty when its parser cannot use it, so even a failed parse leaves a file, as in the
 * reference), a failure is logged and never stops the other files or the start. Different files
 * are processed in parallel; entries naming the same file run in their order, so they do not
 * overwrite each other.
 */
export async function rewriteConfigFiles(
  files: readonly ConfigFileRewrite[],
  io: ConfigFileIo,
  resolver: ConfigValueResolver,
  logger: Logger,
): Promise<ConfigFileResult[]> {
  const byFile = new Map<string, number[]>()
  for (const [index, config] of files.entries()) {
    byFile.set(config.file, [...(byFile.get(config.file) ?? []), index])
  }
  const results: ConfigFileResult[] = new Array<ConfigFileResult>(files.length)
  await Promise.all(
    [...byFile.values()].map(async (indexes) => {
      for (const index of indexes) {
        const config = files[index]
        if (config !== undefined) results[index] = await rewriteOne(config, io, resolver, logger)
      }
    }),
  )
  return results
}

async function rewriteOne(
  config: ConfigFileRewrite,
  io: ConfigFileIo,
  resolver: ConfigValueResolver,
  parentLogger: Logger,
): Promise<ConfigFileResult> {
  const { file, parser } = config
  const logger = parentLogger.child({ file, parser })
  let existing: Buffer | undefined
  try {
    existing = await io.read(file)
    if (existing !== undefined && existing.length > maxFileBytes(parser)) {
      throw new Error(`file is larger than ${maxFileBytes(parser)} bytes, not parsed`)
    }
    let output: Buffer | undefined
    try {
      output = rewriteConfigFileBytes(parser, existing ?? Buffer.alloc(0), config.replace, {
        resolver,
        logger,
      })
    } finally {
      // Created before parsing in the reference, so it exists whatever happens next.
      if (existing === undefined && (output === undefined || !isKnownParser(parser))) {
        await io.write(file, Buffer.alloc(0))
      }
    }
    if (output === undefined) {
      logger.debug('unknown configuration file parser, file left unchanged')
      return { file, parser, outcome: 'skipped' }
    }
    if (existing !== undefined && output.equals(existing))
      return { file, parser, outcome: 'unchanged' }
    await io.write(file, output)
    return { file, parser, outcome: 'written' }
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err))
    logger.error('failed to parse and update server configuration file', { error: error.message })
    return { file, parser, outcome: 'failed', error }
  }
}
