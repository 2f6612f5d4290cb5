import { describe, expect, it } from 'vitest'

import { paperServer, withPath } from '../test/fixtures/paper-server.js'
import { parseServerConfiguration } from './parse-server-configuration.js'
import { serverConfigurationToWire } from './server-configuration-to-wire.js'

describe('serverConfigurationToWire', () => {
  it('writes the configuration of GET /api/servers/:server in the reference key order', () => {
    const config = parseServerConfiguration(paperServer())

    const wire = serverConfigurationToWire(config)

    expect(JSON.stringify(wire)).toBe(
      JSON.stringify({
        uuid: 'd3aac109-e5e0-4331-b03e-3454f7e136dc',
        meta: { name: 'Survival', description: '' },
        suspended: false,
        invocation: 'java -Xms128M -XX:MaxRAMPercentage=95.0 -jar {{SERVER_JARFILE}}',
        skip_egg_scripts: false,
        environment: {
          BUILD_NUMBER: 'latest',
          DL_PATH: '',
          MINECRAFT_VERSION: 'latest',
          P_SERVER_ALLOCATION_LIMIT: 0,
          P_SERVER_LOCATION: 'de',
          P_SERVER_UUID: 'd3aac109-e5e0-4331-b03e-3454f7e136dc',
          SERVER_JARFILE: 'server.jar',
          STARTUP: 'java -Xms128M -XX:MaxRAMPercentage=95.0 -jar {{SERVER_JARFILE}}',
        },
        labels: null,
        allocations: {
          force_outgoing_ip: false,
          default: { ip: '45.86.168.218', port: 25565 },
          mappings: { '45.86.168.218': [25565, 25566] },
        },
        build: {
          memory_limit: 1024,
          swap: 0,
          io_weight: 500,
          cpu_limit: 200,
          disk_space: 5120,
          threads: '',
          oom_disabled: true,
        },
        crash_detection_enabled: true,
        mounts: [],
        egg: { id: '7a1f3c2e-9b4d-4e8f-a6c5-1d2e3f4a5b6c', file_denylist: [] },
        container: { image: 'ghcr.io/pterodactyl/yolks:java_21' },
      }),
    )
  })

  it('omits container.image when it is empty', () => {
    const config = parseServerConfiguration(withPath(paperServer(), 'settings.container.image', ''))

    expect(serverConfigurationToWire(config).container).toEqual({})
    expect(JSON.stringify(serverConfigurationToWire(config))).toContain('"container":{}')
  })

  it('takes crash detection from the Panel override, else from the node default', () => {
    const plain = parseServerConfiguration(paperServer())
    const overridden = parseServerConfiguration(
      withPath(paperServer(), 'settings.crash_detection_enabled', true),
    )

    expect(serverConfigurationToWire(plain, { crashDetectionEnabled: false })).toMatchObject({
      crash_detection_enabled: false,
    })
    expect(serverConfigurationToWire(overridden, { crashDetectionEnabled: false })).toMatchObject({
      crash_detection_enabled: true,
    })
  })

  it('writes labels, mappings and mounts, map keys sorted as Go does', () => {
    const raw = withPath(paperServer(), 'settings.labels', { zeta: '1', alpha: '2' })
    withPath(raw, 'settings.allocations.mappings', { '10.0.0.2': [2], '10.0.0.1': [1] })
    withPath(raw, 'settings.mounts', [{ source: '/mnt/a', target: '/data/a', read_only: true }])

    const wire = serverConfigurationToWire(parseServerConfiguration(raw))

    expect(Object.keys(wire.labels ?? {})).toEqual(['alpha', 'zeta'])
    expect(Object.keys(wire.allocations.mappings)).toEqual(['10.0.0.1', '10.0.0.2'])
    expect(JSON.stringify(wire.mounts)).toBe(
      '[{"target":"/data/a","source":"/mnt/a","read_only":true}]',
    )
  })

  it('returns copies, so the caller cannot change the server through them', () => {
    const config = parseServerConfiguration(paperServer())

    const wire = serverConfigurationToWire(config)
    ;(wire.allocations.mappings['45.86.168.218'] as number[]).push(1)
    ;(wire.egg.file_denylist as string[]).push('*')

    expect(config.settings.allocations.mappings['45.86.168.218']).toEqual([25565, 25566])
    expect(config.settings.egg.fileDenylist).toEqual([])
  })
})
