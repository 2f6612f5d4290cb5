import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type LabelValues,
} from 'prom-client'

import type { ResourceUsage, ServerState } from '@node/server-state'
import type { InFlightGauge } from '@node/shared-kernel'

/** What a scrape reads of one server; the composition root maps each hosted server to it. */
export interface ServerFigures {
  readonly uuid: string
  readonly state: ServerState
  readonly usage: ResourceUsage
  readonly crashes: number
  readonly restarts: number
}

/** Where the figures of a scrape come from, attached once the node's services exist. */
export interface MetricsSources {
  readonly servers: () => Iterable<ServerFigures>
  /** Console websockets open now, authenticated or not. */
  readonly websocketConnections: () => number
}

/** The node's operations under way, one gauge per kind; the use cases report to them. */
export interface InFlightGauges {
  readonly backups: InFlightGauge
  readonly restores: InFlightGauge
  readonly transfers: InFlightGauge
}

export interface NodeMetricsOptions {
  /** The process's own metrics (CPU, memory, event-loop lag, GC: prom-client's defaults). */
  readonly processMetrics: boolean
}

const STATES: readonly ServerState[] = ['offline', 'starting', 'running', 'stopping']

type RequestLabels = 'method' | 'route' | 'code'
type Observer = { observe(value: number): void }

/**
 * The node's Prometheus metrics, in one registry of its own: per server (state, CPU, memory,
 * disk, network, uptime, crashes, restarts), per node (HTTP requests by route, websockets,
 * operations in flight) and the process's own. Server figures are read at scrape time from the
 * sources, so a deleted server's series go with it and nothing is kept per server here.
 */
export class NodeMetrics {
  readonly registry = new Registry()
  readonly inFlight: InFlightGauges
  readonly #requests: Histogram<RequestLabels>
  /** Per route pattern, method and status: the histogram's child, made once. */
  readonly #observers = new Map<string, Map<string, Map<number, Observer>>>()
  #sources: MetricsSources = { servers: () => [], websocketConnections: () => 0 }

  constructor(options: NodeMetricsOptions) {
    const registers = [this.registry]
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry })
    this.#requests = new Histogram({
      name: 'wings_http_request_duration_seconds',
      help: 'HTTP API requests by route pattern, method and status: their count and duration.',
      labelNames: ['method', 'route', 'code'],
      registers,
    })
    const sources = (): MetricsSources => this.#sources
    new Gauge({
      name: 'wings_websocket_connections',
      help: 'Console websockets open now, authenticated or not.',
      registers,
      collect() {
        this.set(sources().websocketConnections())
      },
    })
    this.inFlight = {
      backups: inFlightGauge('wings_backups_in_flight', 'Backups being made now.', registers),
      restores: inFlightGauge('wings_restores_in_flight', 'Backups being restored now.', registers),
      transfers: inFlightGauge(
        'wings_transfers_in_flight',
        'Server transfers under way now, sending or receiving.',
        registers,
      ),
    }
    this.#serverMetrics(registers, sources)
  }

  /** Attaches the figures scrapes read (the servers, the websocket endpoint). */
  observe(sources: MetricsSources): void {
    this.#sources = sources
  }

  /** One finished request: one histogram observation, no label object built after the first. */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    let byMethod = this.#observers.get(route)
    if (byMethod === undefined) {
      byMethod = new Map<string, Map<number, Observer>>()
      this.#observers.set(route, byMethod)
    }
    let byStatus = byMethod.get(method)
    if (byStatus === undefined) {
      byStatus = new Map<number, Observer>()
      byMethod.set(method, byStatus)
    }
    let observer = byStatus.get(status)
    if (observer === undefined) {
      observer = this.#requests.labels({ method, route, code: status })
      byStatus.set(status, observer)
    }
    observer.observe(seconds)
  }

  /** The text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }

  #serverMetrics(registers: Registry[], sources: () => MetricsSources): void {
    const perServer = (
      name: string,
      help: string,
      value: (figures: ServerFigures) => number,
      type: 'gauge' | 'counter' = 'gauge',
    ): void => {
      const collect = function (this: Gauge<'server'> | Counter<'server'>): void {
        // Rebuilt at each scrape: a deleted server leaves no series behind.
        this.reset()
        for (const figures of sources().servers()) {
          const labels: LabelValues<'server'> = { server: figures.uuid }
          if (this instanceof Gauge) this.set(labels, value(figures))
          else this.inc(labels, value(figures))
        }
      }
      const spec = { name, help, labelNames: ['server'] as const, registers, collect }
      if (type === 'gauge') new Gauge(spec)
      else new Counter(spec)
    }
    new Gauge({
      name: 'wings_server_state',
      help: 'The state of each server: 1 for the one it is in, 0 for the others.',
      labelNames: ['server', 'state'],
      registers,
      collect() {
        this.reset()
        for (const figures of sources().servers()) {
          for (const state of STATES) {
            this.set({ server: figures.uuid, state }, figures.state === state ? 1 : 0)
          }
        }
      },
    })
    perServer(
      'wings_server_cpu_absolute_percent',
      'CPU use of the server, in percent of one core (as the Panel shows it).',
      (f) => f.usage.cpuAbsolute,
    )
    perServer(
      'wings_server_memory_bytes',
      'Memory of the server (page cache not counted).',
      (f) => f.usage.memoryBytes,
    )
    perServer(
      'wings_server_memory_limit_bytes',
      'Memory limit of the server.',
      (f) => f.usage.memoryLimitBytes,
    )
    perServer(
      'wings_server_disk_bytes',
      "Disk use of the server's files (from the last disk walk).",
      (f) => f.usage.diskBytes,
    )
    perServer(
      'wings_server_network_receive_bytes_total',
      'Bytes the server received since its process started.',
      (f) => f.usage.network.rxBytes,
      'counter',
    )
    perServer(
      'wings_server_network_transmit_bytes_total',
      'Bytes the server sent since its process started.',
      (f) => f.usage.network.txBytes,
      'counter',
    )
    perServer(
      'wings_server_uptime_seconds',
      "Time since the server's process started; 0 when it is not running.",
      (f) => f.usage.uptime / 1000,
    )
    perServer(
      'wings_server_crashes_total',
      'Crashes of the server since the daemon started.',
      (f) => f.crashes,
      'counter',
    )
    perServer(
      'wings_server_restarts_total',
      'Restarts of the server since the daemon started: the restart action and after a crash.',
      (f) => f.restarts,
      'counter',
    )
  }
}

function inFlightGauge(name: string, help: string, registers: Registry[]): InFlightGauge {
  const gauge = new Gauge({ name, help, registers })
  gauge.set(0)
  return {
    begin() {
      gauge.inc()
      let ended = false
      return () => {
        if (ended) return
        ended = true
        gauge.dec()
      }
    },
  }
}
