import type { DiskUsage } from './disk-usage.js'
import { jailError } from './errors.js'
import type { VolumeReserve } from './volume-reserve.js'

export interface QuotaOptions {
  readonly limitBytes: number
  readonly usage: DiskUsage
  /** The node's free-space reserve on the volume, kept by every write (limit or not). */
  readonly reserve?: VolumeReserve
}

/**
 * The disk limit of one server (behaviour §8.3): `build.disk_space × 1 MiB` bytes, 0 for
 * unlimited, negative for "no writes". Writers reserve bytes before they write, so concurrent
 * writers can never jointly pass the limit; usage counts what was written since the last walk.
 * Every write also keeps the node's VolumeReserve: this is the one place every write path of
 * the jail (writes, uploads, pulls, copies, archives, restores) is admitted.
 */
export class Quota {
  readonly usage: DiskUsage
  readonly #volume: VolumeReserve | undefined
  #limit: number
  #reserved = 0

  constructor(options: QuotaOptions) {
    this.usage = options.usage
    this.#limit = checkLimit(options.limitBytes)
    this.#volume = options.reserve
  }

  get limitBytes(): number {
    return this.#limit
  }

  /** The Panel changed `build.disk_space`; reservations already granted stay granted. */
  setLimit(limitBytes: number): void {
    this.#limit = checkLimit(limitBytes)
  }

  /** Bytes promised to writers still running. */
  get reservedBytes(): number {
    return this.#reserved
  }

  /** Bytes that may still be reserved; Infinity without a limit. */
  available(): number {
    if (this.#limit === 0) return Number.POSITIVE_INFINITY
    return Math.max(0, this.#limit - this.usage.current - this.#reserved)
  }

  /**
   * The pre-check of pulls and SFTP opens: usage must not already be over the limit (stale-ok).
   * Throws the §3.1 quota error.
   */
  assertNotOver(path = ''): void {
    void this.usage.get('stale-ok')
    if (this.#limit === 0) return
    if (this.#limit < 0 || this.usage.current > this.#limit) throw jailError('quota', path)
  }

  /** Admits `bytes` more (usage + reserved + bytes ≤ limit) or throws the §3.1 quota error. */
  reserve(bytes: number, path = ''): Reservation {
    const reservation = new Reservation({
      path,
      usage: this.usage,
      admit: (n) => this.#admit(n, path),
      take: (n) => this.#volume?.take(n, path),
      free: (n) => {
        this.#reserved = Math.max(0, this.#reserved - n)
      },
    })
    reservation.grow(bytes)
    return reservation
  }

  /**
   * Throws the §3.1 quota error unless `bytes` more would fit the limit and the volume's reserve
   * now, without reserving them (the up-front check of an archive's declared total).
   */
  assertFits(bytes: number, path = ''): void {
    if (bytes <= 0) return
    void this.usage.get('stale-ok')
    if (this.#limit < 0 || (this.#limit > 0 && bytes > this.available())) {
      throw jailError('quota', path)
    }
    this.#volume?.check(bytes, path)
  }

  #admit(bytes: number, path: string): void {
    if (bytes <= 0) return
    this.assertFits(bytes, path)
    this.#reserved += bytes
  }
}

interface ReservationLedger {
  readonly path: string
  readonly usage: DiskUsage
  readonly admit: (bytes: number) => void
  /** Bytes about to reach the disk: the volume's reserve must hold after them. */
  readonly take: (bytes: number) => void
  readonly free: (bytes: number) => void
}

/** Bytes granted to one writer: grown as it writes, then committed or released exactly once. */
export class Reservation {
  readonly #ledger: ReservationLedger
  #bytes = 0
  #written = 0
  #settled = false

  /** Made by Quota.reserve. */
  constructor(ledger: ReservationLedger) {
    this.#ledger = ledger
  }

  get bytes(): number {
    return this.#bytes
  }

  /** Reserves `bytes` more; throws the quota error and keeps what it had when they do not fit. */
  grow(bytes: number): void {
    if (this.#settled) throw new Error('reservation already settled')
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`bad byte count: ${bytes}`)
    this.#ledger.admit(bytes)
    this.#bytes += bytes
  }

  /** Ensures at least `bytes` are reserved in total. */
  growTo(bytes: number): void {
    if (bytes > this.#bytes) this.grow(bytes - this.#bytes)
  }

  /**
   * The writer is about to bring its net growth (bytes written less the bytes of the file it
   * replaces) to `netBytes`: the quota must admit that many (growTo) and the volume's reserve
   * must hold after the new ones. Throws the §3.1 quota error before anything reaches the disk.
   */
  admitWrite(netBytes: number): void {
    this.growTo(netBytes)
    if (netBytes > this.#written) {
      this.#ledger.take(netBytes - this.#written)
      this.#written = netBytes
    }
  }

  /** The write is done: `usageDelta` (new size − freed size) joins the usage; the rest is freed. */
  commit(usageDelta: number): void {
    if (this.#settled) return
    this.#settled = true
    this.#ledger.free(this.#bytes)
    this.#ledger.usage.adjust(usageDelta)
  }

  /** The write failed or was abandoned: nothing joins the usage. */
  release(): void {
    if (this.#settled) return
    this.#settled = true
    this.#ledger.free(this.#bytes)
  }
}

function checkLimit(bytes: number): number {
  if (!Number.isFinite(bytes)) throw new RangeError(`bad disk limit: ${bytes}`)
  return Math.trunc(bytes)
}
