import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

/** How a part upload is retried (panel-remote-calls §6.1: multiplier 2, give up after 1 min). */
export interface PartRetryPolicy {
  /** First wait; default 500 ms. Each wait is then doubled, with ±50 % jitter. */
  readonly initialDelayMs?: number
  /** No new attempt starts once this long has passed since the first; default 60 s. */
  readonly maxElapsedMs?: number
}

/** A part S3 refused for good (4xx or an answer without an ETag): never retried. */
export class PartRejectedError extends Error {
  readonly status: number
  constructor(message: string, status: number) {
    super(message)
    this.name = 'PartRejectedError'
    this.status = status
  }
}

/** An answer worth another attempt (5xx). */
class PartServerError extends Error {
  override name = 'PartServerError'
}

export interface PartUpload {
  readonly partNumber: number
  /** The presigned `UploadPart` URL; never logged or put into an error (it is a credential). */
  readonly url: string
  readonly size: number
  /** A fresh reader positioned at the part's first byte, for each attempt. */
  readonly body: () => Readable
}

/**
 * PUTs one part and resolves with its ETag, verbatim. Only a 200 with an ETag counts; 5xx and
 * network errors are retried with exponential backoff from a fresh reader, anything else fails
 * at once. `signal` aborts the attempt in flight and the waits.
 */
export async function uploadPart(
  part: PartUpload,
  options: {
    readonly signal: AbortSignal
    readonly timeoutMs: number
    readonly retry?: PartRetryPolicy
    readonly onRetry?: (attempt: number, error: Error, delayMs: number) => void
  },
): Promise<string> {
  const initial = options.retry?.initialDelayMs ?? 500
  const maxElapsed = options.retry?.maxElapsedMs ?? 60_000
  const started = Date.now()
  let interval = initial
  for (let attempt = 1; ; attempt++) {
    options.signal.throwIfAborted()
    try {
      return await putOnce(part, options.signal, options.timeoutMs)
    } catch (error) {
      if (options.signal.aborted || error instanceof PartRejectedError) throw error
      const delay = Math.round(interval * (0.5 + Math.random()))
      if (Date.now() - started + delay > maxElapsed) throw error
      options.onRetry?.(attempt, error as Error, delay)
      await sleep(delay, undefined, { signal: options.signal })
      interval *= 2
    }
  }
}

function putOnce(part: PartUpload, signal: AbortSignal, timeoutMs: number): Promise<string> {
  const url = new URL(part.url)
  const client = url.protocol === 'https:' ? https : http
  const attemptSignal = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
  return new Promise<string>((resolve, reject) => {
    const body = part.body()
    const request = client.request(url, {
      method: 'PUT',
      headers: { 'Content-Length': part.size, 'Content-Type': 'application/x-gzip' },
      signal: attemptSignal,
    })
    const fail = (error: Error): void => {
      body.destroy()
      request.destroy()
      reject(error)
    }
    // Once S3 has answered, the answer decides: it may refuse a part before reading all of it,
    // and the body then fails to send.
    let answered = false
    body.on('error', (error) => answered || fail(error))
    request.on('error', (error) => answered || fail(error))
    request.on('response', (response) => {
      answered = true
      readAnswer(response).then((text) => {
        const status = response.statusCode ?? 0
        const etag = response.headers.etag
        if (status === 200 && typeof etag === 'string' && etag !== '') resolve(etag)
        else if (status === 200)
          fail(new PartRejectedError(partFailure(part, status, 'no ETag'), status))
        else if (status >= 500) fail(new PartServerError(partFailure(part, status, s3Code(text))))
        else fail(new PartRejectedError(partFailure(part, status, s3Code(text)), status))
      }, fail)
    })
    body.pipe(request)
  })
}

function partFailure(part: PartUpload, status: number, detail: string | undefined): string {
  return `S3 refused part ${part.partNumber} of the backup: HTTP ${status}${detail ? ` (${detail})` : ''}`
}

// S3's error body names the reason in <Code>; nothing else of it is kept.
function s3Code(text: string): string | undefined {
  return /<Code>([A-Za-z0-9.]{1,64})<\/Code>/.exec(text)?.[1]
}

async function readAnswer(response: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (text.length < 4096) text += chunk.toString('utf8')
  }
  return text
}
