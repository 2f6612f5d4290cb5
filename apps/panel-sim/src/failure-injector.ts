import { pathMatcher, type CallMatcher } from './call-recorder.js'

/** A failure to answer instead of the route, for the next `times` matching requests. */
export interface FailureSpec {
  /** Exact path, a pattern with `*` / `**`, or a RegExp. */
  readonly path: CallMatcher
  /** Only this method; default any. */
  readonly method?: string
  /** HTTP status to answer; default 500. Ignored when `drop` is set. */
  readonly status?: number
  /** How many matching requests fail; default 1. */
  readonly times?: number
  /** Response body; default the Panel's generic 500 envelope (or one naming the status). */
  readonly body?: unknown
  /** Close the connection without answering (a network error for the caller). */
  readonly drop?: boolean
  /** Wait this long before answering (or dropping), to exercise the caller's timeouts. */
  readonly delayMs?: number
  /** After `delayMs`, answer as the route would: a slow Panel rather than a failing one. */
  readonly thenAnswer?: boolean
}

export interface ActiveFailure {
  readonly status: number
  readonly body: unknown
  readonly drop: boolean
  readonly delayMs: number
  readonly thenAnswer: boolean
}

interface Entry {
  readonly test: (path: string) => boolean
  readonly method: string | undefined
  remaining: number
  readonly failure: ActiveFailure
}

/** Failures queued by tests; the first matching entry with calls left wins. */
export class FailureInjector {
  readonly #entries: Entry[] = []

  add(spec: FailureSpec): void {
    const status = spec.status ?? 500
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new RangeError('failure status must be an HTTP status from 100 to 599')
    }
    const times = spec.times ?? 1
    if (!Number.isInteger(times) || times < 1)
      throw new RangeError('failure times must be a positive integer')
    this.#entries.push({
      test: pathMatcher(spec.path),
      method: spec.method?.toUpperCase(),
      remaining: times,
      failure: {
        status,
        body: spec.body ?? defaultBody(status),
        drop: spec.drop ?? false,
        delayMs: Math.max(0, spec.delayMs ?? 0),
        thenAnswer: spec.thenAnswer ?? false,
      },
    })
  }

  /** Consumes one failure matching the request, if any. */
  take(method: string, path: string): ActiveFailure | undefined {
    const entry = this.#entries.find(
      (e) => e.remaining > 0 && e.test(path) && (e.method === undefined || e.method === method),
    )
    if (!entry) return undefined
    entry.remaining--
    if (entry.remaining === 0) this.#entries.splice(this.#entries.indexOf(entry), 1)
    return entry.failure
  }

  clear(): void {
    this.#entries.length = 0
  }

  get pending(): number {
    return this.#entries.reduce((n, e) => n + e.remaining, 0)
  }
}

function defaultBody(status: number): unknown {
  const detail =
    status >= 500
      ? 'An unexpected error was encountered while processing this request, please try again.'
      : 'Injected failure.'
  return {
    errors: [{ code: status >= 500 ? 'Error' : 'HttpException', status: String(status), detail }],
  }
}
