import { describe, expect, it } from 'vitest'

import { buildServerConfiguration } from '../testing/build-server-configuration.js'
import {
  environmentSettingsOf,
  environmentVariables,
  formatEnvironmentValue,
} from './environment.js'

const UUID = '2f3c1c1e-6d8a-4a55-9d1c-0c7e8d2b6c11'

describe('environmentVariables', () => {
  it('emits the five daemon variables first, then the Panel variables upper-cased', () => {
    const configuration = buildServerConfiguration(UUID, {
      settings: {
        environment: { server_jarfile: 'paper.jar', VERSION: 'latest' },
        invocation: 'java -jar {{SERVER_JARFILE}}',
      },
    })

    const variables = environmentVariables(configuration, { timezone: 'Europe/Berlin' })

    expect(variables.map((v) => `${v.name}=${v.value}`)).toEqual([
      'TZ=Europe/Berlin',
      'STARTUP=java -jar {{SERVER_JARFILE}}',
      'SERVER_MEMORY=1024',
      'SERVER_IP=127.0.0.1',
      'SERVER_PORT=25565',
      'SERVER_JARFILE=paper.jar',
      'VERSION=latest',
    ])
  })

  it('skips a Panel variable whose upper-cased name the daemon already set, such as STARTUP', () => {
    const configuration = buildServerConfiguration(UUID, {
      settings: { environment: { startup: 'evil', Server_Port: 1, EXTRA: 'x', extra: 'y' } },
    })

    const names = environmentVariables(configuration, { timezone: 'UTC' }).map((v) => v.name)

    expect(names).toEqual(['TZ', 'STARTUP', 'SERVER_MEMORY', 'SERVER_IP', 'SERVER_PORT', 'EXTRA'])
    expect(environmentVariables(configuration, { timezone: 'UTC' })[1]?.value).not.toBe('evil')
  })
})

describe('formatEnvironmentValue', () => {
  it('formats numbers as Go %f, booleans as words and null as empty', () => {
    expect(formatEnvironmentValue(25565)).toBe('25565.000000')
    expect(formatEnvironmentValue(0)).toBe('0.000000')
    expect(formatEnvironmentValue(1.5)).toBe('1.500000')
    expect(formatEnvironmentValue(true)).toBe('true')
    expect(formatEnvironmentValue(false)).toBe('false')
    expect(formatEnvironmentValue(null)).toBe('')
    expect(formatEnvironmentValue('25565')).toBe('25565')
  })
})

describe('environmentSettingsOf', () => {
  it('takes image, invocation, limits, allocations, mounts, labels and stop from the configuration', () => {
    const configuration = buildServerConfiguration(UUID, {
      settings: { labels: null, container: { image: '~local/image:1' } },
      process: { stop: { type: 'signal', value: 'SIGINT' } },
    })

    const settings = environmentSettingsOf(configuration, { timezone: 'UTC' })

    expect(settings.image).toBe('~local/image:1')
    expect(settings.labels).toEqual({})
    expect(settings.stop).toEqual({ type: 'signal', value: 'SIGINT' })
    expect(settings.limits).toBe(configuration.settings.build)
    expect(settings.allocations.default).toEqual({ ip: '127.0.0.1', port: 25565 })
    expect(settings.variables[0]).toEqual({ name: 'TZ', value: 'UTC' })
  })
})
