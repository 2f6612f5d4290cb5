import type { ConfigFileRewrite } from '@node/server-state'
import type { Logger } from '@node/shared-kernel'
import type { ConfigFileIo } from './ports/config-file-io.js'
import type { ConfigValueResolver } from './ports/config-value-resolver.js'
import { type ParseLimits, parseInWorker } from './parse-in-worker.js'
import { isKnownParser, resolveReplacements } from './rewrite-config-file.js'

/** Files above this size are not parsed (the reference's cap): they would be held in memory. */
export const MAX_CONFIG_FILE_BYTES = 64 * 1024 * 1024

/** How long one file's parse may run, and with how much heap, by default. */
export const DEFAULT_PARSE_LIMITS: ParseLimits = { timeoutMs: 30_000, maxHeapMb: 1024 }

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
 * Rewrites the egg's configuration files before a start (behaviour §7). Each file is parsed in
 * a worker thread (the YAML, JSON and XML libraries manage 1-2 MB/s, and the files are
 * server-owned input), stopped after `limits.timeoutMs` or when it needs more than
 * `limits.maxHeapMb` of heap. A missing file is
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
  limits: Partial<ParseLimits> = {},
): Promise<ConfigFileResult[]> {
  const parseLimits = { ...DEFAULT_PARSE_LIMITS, ...limits }
  const byFile = new Map<string, number[]>()
  for (const [index, config] of files.entries()) {
    byFile.set(config.file, [...(byFile.get(config.file) ?? []), index])
  }
  const results: ConfigFileResult[] = new Array<ConfigFileResult>(files.length)
  await Promise.all(
    [...byFile.values()].map(async (indexes) => {
      for (const index of indexes) {
        const config = files[index]
        if (config === undefined) continue
        results[index] = await rewriteOne(config, io, resolver, logger, parseLimits)
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
  limits: ParseLimits,
): Promise<ConfigFileResult> {
  const { file, parser } = config
  const logger = parentLogger.child({ file, parser })
  let existing: Buffer | undefined
  try {
    existing = await io.read(file)
    if (existing !== undefined && existing.length > MAX_CONFIG_FILE_BYTES) {
      throw new Error(`file is larger than ${MAX_CONFIG_FILE_BYTES} bytes, not parsed`)
    }
    let output: Buffer | undefined
    try {
      if (isKnownParser(parser)) {
        const replacements = resolveReplacements(config.replace, { resolver, logger })
        output = await parseInWorker(
          parser,
          existing ?? Buffer.alloc(0),
          replacements,
          logger,
          limits,
        )
      }
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
