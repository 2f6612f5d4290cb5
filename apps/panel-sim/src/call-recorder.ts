/** One request the simulator received, as the daemon sent it. */
export interface RecordedCall {
  /** Increasing from 1 in arrival order. */
  readonly id: number
  readonly method: string
  /** The path without the query string, e.g. `/api/remote/servers/<uuid>`. */
  readonly path: string
  /** Decoded query parameters (the last value of a repeated key wins, as in PHP). */
  readonly query: Readonly<Record<string, string>>
  /** Header names in lower case; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>
  /** The body parsed as JSON (so `null` for the literal `null`); the text when it is not JSON; undefined when empty. */
  readonly body: unknown
  readonly rawBody: string
  readonly time: Date
  /** The simulator's answer; null while the request is still being handled. */
  readonly status: number | null
  /** The node whose credentials authenticated the call, if any. */
  readonly nodeId: number | null
  /** True when the answer came from `failNext` instead of the route. */
  readonly injected: boolean
}

export type CallMatcher = string | RegExp

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

interface Waiter {
  readonly predicate: (call: RecordedCall) => boolean
  readonly resolve: (call: RecordedCall) => void
}

/**
 * Every request made to the simulator's Panel API, in order. A call is visible as soon as it
 * arrives; waiters are woken once it has been answered, so the state change it caused is visible.
 */
export class CallRecorder {
  readonly #calls: Mutable<RecordedCall>[] = []
  readonly #waiters = new Set<Waiter>()
  #nextId = 1
  readonly #limit: number

  constructor(limit = 100_000) {
    this.#limit = limit
  }

  get calls(): readonly RecordedCall[] {
    return this.#calls
  }

  start(call: Omit<RecordedCall, 'id' | 'status' | 'injected' | 'nodeId'>): Mutable<RecordedCall> {
    const recorded: Mutable<RecordedCall> = {
      id: this.#nextId++,
      ...call,
      status: null,
      nodeId: null,
      injected: false,
    }
    this.#calls.push(recorded)
    // Bounded memory for long-running simulators (benchmarks, the embedded default).
    if (this.#calls.length > this.#limit) this.#calls.splice(0, this.#calls.length - this.#limit)
    return recorded
  }

  finish(call: Mutable<RecordedCall>, status: number): void {
    call.status = status
    for (const waiter of this.#waiters) {
      if (waiter.predicate(call)) {
        this.#waiters.delete(waiter)
        waiter.resolve(call)
      }
    }
  }

  clear(): void {
    this.#calls.length = 0
  }

  callsTo(path: CallMatcher, method?: string): RecordedCall[] {
    const test = pathMatcher(path)
    const m = method?.toUpperCase()
    return this.#calls.filter((c) => test(c.path) && (m === undefined || c.method === m))
  }

  /**
   * Resolves with the first answered call that satisfies `predicate`, looking at calls already
   * recorded first; rejects after `timeoutMs` with the list of calls seen.
   */
  waitForCall(
    predicate: (call: RecordedCall) => boolean,
    timeoutMs = 10_000,
  ): Promise<RecordedCall> {
    const existing = this.#calls.find((c) => c.status !== null && predicate(c))
    if (existing) return Promise.resolve(existing)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        const seen = this.#calls.map((c) => `${c.method} ${c.path} → ${c.status ?? '…'}`).slice(-20)
        reject(
          new Error(
            `no matching call within ${timeoutMs} ms; last calls:\n  ${seen.join('\n  ') || '(none)'}`,
          ),
        )
      }, timeoutMs)
      const waiter: Waiter = {
        predicate,
        resolve: (call) => {
          clearTimeout(timer)
          resolve(call)
        },
      }
      this.#waiters.add(waiter)
    })
  }
}

/**
 * A path matcher: a RegExp, or a string where `*` stands for one path segment and `**` for any
 * rest (`/api/remote/servers/*` matches one server, not `/api/remote/servers/x/install`).
 */
export function pathMatcher(path: CallMatcher): (candidate: string) => boolean {
  if (path instanceof RegExp) return (candidate) => path.test(candidate)
  const pattern = path
    .split(/(\*\*|\*)/)
    .map((part) =>
      part === '**' ? '.*' : part === '*' ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('')
  const regex = new RegExp(`^${pattern}$`)
  return (candidate) => regex.test(candidate)
}
