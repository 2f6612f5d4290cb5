// Runs in a worker thread (see parse-in-worker.ts): one parser on one file, so that a large or
// hostile file never blocks the event loop and can be stopped or run out of memory on its own.
import { registerHooks } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'
import type { LogFields, Logger } from '@node/shared-kernel'
import type { ResolvedReplacement } from './resolve-replacement.js'

export interface ParseRequest {
  readonly parser: string
  readonly content: Uint8Array
  readonly replacements: readonly ResolvedReplacement[]
}

export interface ParseLog {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly message: string
  readonly fields: LogFields
}

export type ParseResponse =
  | { readonly output: Uint8Array | undefined; readonly logs: readonly ParseLog[] }
  | {
      readonly error: { readonly name: string; readonly message: string }
      readonly logs: readonly ParseLog[]
    }

// Run from source (tests), the `./x.js` specifiers of this package name `./x.ts` files.
if (import.meta.url.endsWith('.ts')) {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context)
      } catch (err) {
        if (!specifier.startsWith('.') || !specifier.endsWith('.js')) throw err
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
      }
    },
  })
}

const logs: ParseLog[] = []

function collector(bound: LogFields): Logger {
  const push =
    (level: ParseLog['level']) =>
    (message: string, fields: LogFields = {}) => {
      logs.push({ level, message, fields: { ...bound, ...fields } })
    }
  return {
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    child: (fields) => collector({ ...bound, ...fields }),
  }
}

const request = workerData as ParseRequest
let response: ParseResponse
try {
  // Imported only now, once the resolve hook above is in place.
  const { parseBytes } = await import('./parsers/parse-resolved.js')
  const output = parseBytes(request.parser, request.content, request.replacements, collector({}))
  response = { output, logs }
} catch (err) {
  const error = err instanceof Error ? err : new Error(String(err))
  response = { error: { name: error.name, message: error.message }, logs }
}
parentPort?.postMessage(response)
