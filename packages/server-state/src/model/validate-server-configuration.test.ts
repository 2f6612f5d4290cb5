import { describe, expect, it } from 'vitest'

import { buildServerConfiguration } from '../testing/index.js'
import {
  findConfigurationProblems,
  InvalidConfigurationError,
  validateServerConfiguration,
} from './validate-server-configuration.js'

const UUID = 'c2a4e8f0-1b3d-4e5f-8a9b-0c1d2e3f4a5b'

describe('validateServerConfiguration', () => {
  it('accepts a valid configuration and returns a frozen copy', () => {
    const given = buildServerConfiguration(UUID)

    const valid = validateServerConfiguration(given)

    expect(valid).toEqual(given)
    expect(valid).not.toBe(given)
    expect(Object.isFrozen(valid.settings.allocations.mappings)).toBe(true)
  })

  it('accepts the optional and nullable fields the Panel may leave out', () => {
    const base = buildServerConfiguration(UUID)
    const configuration = buildServerConfiguration(UUID, {
      settings: {
        labels: { 'com.example': 'x' },
        crashDetectionEnabled: false,
        build: { ...base.settings.build, swap: -1, memoryLimit: 0 },
      },
      process: { stop: { type: '', value: '' } },
    })

    expect(findConfigurationProblems(configuration)).toEqual([])
  })

  it('names every problem it finds', () => {
    const base = buildServerConfiguration(UUID)
    const broken = {
      ...base,
      settings: {
        ...base.settings,
        uuid: '',
        build: { ...base.settings.build, memoryLimit: -5, swap: -2 },
        allocations: { ...base.settings.allocations, mappings: { '127.0.0.1': [70000] } },
        environment: { OK: 'yes', BAD: { nested: true } },
      },
      process: { ...base.process, configs: [{ parser: 'yaml', file: 'a.yml', replace: [{}] }] },
    }

    const failure = (() => {
      try {
        validateServerConfiguration(broken)
      } catch (err) {
        return err
      }
      return undefined
    })()

    expect(failure).toBeInstanceOf(InvalidConfigurationError)
    expect((failure as InvalidConfigurationError).problems).toEqual([
      'settings.uuid must not be empty',
      'settings.environment.BAD must be a string, number, boolean or null',
      'settings.build.memoryLimit must be a number of at least 0',
      'settings.build.swap must be a number of at least -1',
      'settings.allocations.mappings.127.0.0.1[0] must be a port number (0-65535)',
      'process.configs[0].replace[0].match must be a string',
      'process.configs[0].replace[0].replaceWith is missing',
    ])
  })

  it('reports a value that is not an object at all', () => {
    expect(findConfigurationProblems(null)).toEqual(['configuration must be an object'])
    expect(findConfigurationProblems([])).toEqual(['configuration must be an object'])
    expect(findConfigurationProblems({})).toEqual([
      'settings must be an object',
      'process must be an object',
    ])
  })

  it('lists a bounded number of problems', () => {
    const base = buildServerConfiguration(UUID)
    const environment = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`K${i}`, [i]]))

    const problems = findConfigurationProblems({
      ...base,
      settings: { ...base.settings, environment },
    })

    expect(problems).toHaveLength(20)
  })

  it('refuses values that are not plain data', () => {
    const base = buildServerConfiguration(UUID)
    const withFunction = {
      ...base,
      process: {
        ...base.process,
        configs: [{ parser: 'json', file: 'a', replace: [{ match: 'a', replaceWith: () => 1 }] }],
      },
    }

    expect(() => validateServerConfiguration(withFunction)).toThrow(InvalidConfigurationError)
  })
})
