import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Logger } from '@node/shared-kernel'
import { MalformedConfigFileError } from './parsers/malformed-config-file-error.js'
import type { ParseRequest, ParseResponse } from './parse-worker.js'
import type { ResolvedReplacement } from './resolve-replacement.js'

// The worker file sits beside this one: .ts when running from source, .js from dist/.
const WORKER_URL = new URL(
  `./parse-worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
)

export interface ParseLimits {
  /** A parse still running after this long is stopped (a pathological egg regex, say). */
  readonly timeoutMs: number
  /** Heap for the parse; a file that needs more fails instead of exhausting the daemon. */
  readonly maxHeapMb: number
}

/**
 * Runs one parser in a worker thread and resolves with its output (`undefined` for an unknown
 * parser); the worker's log lines are replayed on `logger`. Rejects with the parser's error.
 */
export function parseInWorker(
  parser: string,
  content: Buffer,
  replacements: readonly ResolvedReplacement[],
  logger: Logger,
  limits: ParseLimits,
): Promise<Buffer | undefined> {
  const request: ParseRequest = { parser, content, replacements }
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, {
      workerData: request,
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb },
    })
    let settled = false
    const settle = (error: Error | undefined, output?: Buffer): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (error === undefined) resolve(output)
      else reject(error)
    }
    const timer = setTimeout(() => {
      settle(new Error(`parsing took longer than ${limits.timeoutMs} ms and was stopped`))
      void worker.terminate()
    }, limits.timeoutMs)
    worker.once('message', (response: ParseResponse) => {
      for (const log of response.logs) logger[log.level](log.message, log.fields)
      if ('error' in response) {
        const { name, message } = response.error
        settle(
          name === 'MalformedConfigFileError'
            ? new MalformedConfigFileError(message)
            : new Error(message),
        )
      } else {
        settle(undefined, response.output === undefined ? undefined : Buffer.from(response.output))
      }
    })
    worker.once('error', (err: Error) => settle(err))
    worker.once('exit', (code) =>
      settle(new Error(`configuration parser exited with code ${code}`)),
    )
  })
}
