import { describe, expect, it } from 'vitest'

import { ZERO_RESOURCE_SAMPLE } from '@node/server-state'

import { NodeMetrics, type ServerFigures } from './node-metrics.js'

const figures = (uuid: string, overrides: Partial<ServerFigures> = {}): ServerFigures => ({
  uuid,
  state: 'running',
  usage: { ...ZERO_RESOURCE_SAMPLE, state: 'running', diskBytes: 2048, uptime: 5000 },
  crashes: 1,
  restarts: 2,
  ...overrides,
})

const line = (text: string, start: string): string | undefined =>
  text.split('\n').find((l) => l.startsWith(start))

describe('NodeMetrics', () => {
  it('reads the servers at each scrape, so a removed server leaves no series', async () => {
    const metrics = new NodeMetrics({ processMetrics: false })
    let servers = [figures('a'), figures('b')]
    metrics.observe({ servers: () => servers, websocketConnections: () => 0 })

    const both = await metrics.scrape()
    servers = [figures('b')]
    const one = await metrics.scrape()

    expect(line(both, 'wings_server_uptime_seconds{server="a"}')).toBe(
      'wings_server_uptime_seconds{server="a"} 5',
    )
    expect(line(both, 'wings_server_crashes_total{server="a"}')).toMatch(/ 1$/)
    expect(line(both, 'wings_server_state{server="a",state="running"}')).toMatch(/ 1$/)
    expect(line(both, 'wings_server_state{server="a",state="offline"}')).toMatch(/ 0$/)
    expect(one).not.toContain('server="a"')
    expect(line(one, 'wings_server_restarts_total{server="b"}')).toMatch(/ 2$/)
  })

  it('counts operations in flight; ending one twice ends it once', async () => {
    const metrics = new NodeMetrics({ processMetrics: false })
    const first = metrics.inFlight.backups.begin()
    metrics.inFlight.backups.begin()

    first()
    first()

    expect(line(await metrics.scrape(), 'wings_backups_in_flight ')).toBe(
      'wings_backups_in_flight 1',
    )
  })

  it('observes requests by route, method and status', async () => {
    const metrics = new NodeMetrics({ processMetrics: false })

    metrics.observeRequest('/api/system', 'GET', 200, 0.002)
    metrics.observeRequest('/api/system', 'GET', 200, 0.004)
    metrics.observeRequest('unmatched', 'GET', 404, 0.001)

    const text = await metrics.scrape()
    expect(
      line(
        text,
        'wings_http_request_duration_seconds_count{method="GET",route="/api/system",code="200"}',
      ),
    ).toMatch(/ 2$/)
    expect(
      line(
        text,
        'wings_http_request_duration_seconds_count{method="GET",route="unmatched",code="404"}',
      ),
    ).toMatch(/ 1$/)
  })
})
