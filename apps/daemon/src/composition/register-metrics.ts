import { instanceCachingFactory, type DependencyContainer } from 'tsyringe'

import { metricsListenOptions } from '../config/to-options.js'
import { metricsEndpoint } from '../metrics/metrics-endpoint.js'
import { NodeMetrics } from '../metrics/node-metrics.js'
import { Tokens } from './tokens.js'

/**
 * The node's metrics: the registry (its process metrics only when `/metrics` is served), the
 * in-flight gauges the use cases report to, and the endpoint, which reads the servers and the
 * websockets at each scrape.
 */
export function registerMetrics(c: DependencyContainer): void {
  c.register(Tokens.NodeMetrics, {
    useFactory: instanceCachingFactory(
      (r) =>
        new NodeMetrics({
          processMetrics: metricsListenOptions(r.resolve(Tokens.Config).current()) !== undefined,
        }),
    ),
  })
  c.register(Tokens.MetricsEndpoint, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      const metrics = r.resolve(Tokens.NodeMetrics)
      const servers = r.resolve(Tokens.NodeServers)
      const websockets = r.resolve(Tokens.WebsocketEndpoint)
      metrics.observe({
        *servers() {
          for (const { uuid, server, runtime } of servers.all()) {
            yield {
              uuid,
              state: server.state,
              usage: server.resourceUsage(),
              crashes: runtime.crashCount,
              restarts: runtime.restartCount,
            }
          }
        },
        websocketConnections: () => websockets.totalConnections(),
      })
      return metricsEndpoint({
        metrics,
        token: () => live.current().metrics.token,
        logger: r.resolve(Tokens.Logger).child({ component: 'metrics' }),
      })
    }),
  })
}
