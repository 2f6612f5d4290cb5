import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { ABSENT, paperServer, withPath } from '../test/fixtures/paper-server.js'
import { InvalidPanelDataError } from './invalid-panel-data-error.js'
import { parseServerConfiguration } from './parse-server-configuration.js'

function failureOf(raw: unknown, field?: string): InvalidPanelDataError {
  try {
    parseServerConfiguration(raw, field === undefined ? {} : { field })
  } catch (err) {
    if (err instanceof InvalidPanelDataError) return err
    throw err
  }
  throw new Error('parseServerConfiguration accepted the input')
}

describe('parseServerConfiguration', () => {
  it('translates the Panel example into the domain configuration', () => {
    const config = parseServerConfiguration(paperServer())

    expect(config).toEqual({
      settings: {
        uuid: 'd3aac109-e5e0-4331-b03e-3454f7e136dc',
        meta: { name: 'Survival', description: '' },
        suspended: false,
        environment: {
          MINECRAFT_VERSION: 'latest',
          SERVER_JARFILE: 'server.jar',
          DL_PATH: '',
          BUILD_NUMBER: 'latest',
          STARTUP: 'java -Xms128M -XX:MaxRAMPercentage=95.0 -jar {{SERVER_JARFILE}}',
          P_SERVER_LOCATION: 'de',
          P_SERVER_UUID: 'd3aac109-e5e0-4331-b03e-3454f7e136dc',
          P_SERVER_ALLOCATION_LIMIT: 0,
        },
        invocation: 'java -Xms128M -XX:MaxRAMPercentage=95.0 -jar {{SERVER_JARFILE}}',
        skipEggScripts: false,
        build: {
          memoryLimit: 1024,
          swap: 0,
          ioWeight: 500,
          cpuLimit: 200,
          threads: '',
          diskSpace: 5120,
          oomDisabled: true,
        },
        container: { image: 'ghcr.io/pterodactyl/yolks:java_21' },
        allocations: {
          forceOutgoingIp: false,
          default: { ip: '45.86.168.218', port: 25565 },
          mappings: { '45.86.168.218': [25565, 25566] },
        },
        mounts: [],
        egg: { id: '7a1f3c2e-9b4d-4e8f-a6c5-1d2e3f4a5b6c', fileDenylist: [] },
        labels: null,
        crashDetectionEnabled: undefined,
      },
      process: {
        startup: { done: [')! For help, type '], userInteraction: [], stripAnsi: false },
        stop: { type: 'command', value: 'stop' },
        configs: [
          {
            parser: 'properties',
            file: 'server.properties',
            replace: [
              { match: 'server-ip', ifValue: undefined, replaceWith: '0.0.0.0' },
              { match: 'server-port', ifValue: undefined, replaceWith: '25565' },
              { match: 'query.port', ifValue: undefined, replaceWith: '25565' },
            ],
          },
          {
            parser: 'yaml',
            file: 'config.yml',
            replace: [
              { match: 'listeners[0].host', ifValue: undefined, replaceWith: '0.0.0.0:25577' },
              {
                match: 'servers.*.address',
                ifValue: 'regex:^(127\\.0\\.0\\.1|localhost)(:\\d{1,5})?$',
                replaceWith: '{{config.docker.network.interface}}$2',
              },
            ],
          },
        ],
      },
    })
  })

  describe('tolerates what PHP and the Panel really send', () => {
    it('reads PHP empty arrays as empty maps for environment, mappings and labels', () => {
      const raw = paperServer()
      withPath(raw, 'settings.environment', [])
      withPath(raw, 'settings.allocations.mappings', [])
      withPath(raw, 'settings.labels', [])

      const { settings } = parseServerConfiguration(raw)

      expect(settings.environment).toEqual({})
      expect(settings.allocations.mappings).toEqual({})
      expect(settings.labels).toEqual({})
    })

    it('reads null maps as empty, and absent or null labels as null', () => {
      const raw = paperServer()
      withPath(raw, 'settings.environment', null)
      withPath(raw, 'settings.allocations.mappings', null)
      const withNullLabels = withPath(paperServer(), 'settings.labels', null)

      const { settings } = parseServerConfiguration(raw)

      expect(settings.environment).toEqual({})
      expect(settings.allocations.mappings).toEqual({})
      expect(settings.labels).toBeNull()
      expect(parseServerConfiguration(withNullLabels).settings.labels).toBeNull()
    })

    it('reads null strings as empty strings', () => {
      const raw = paperServer()
      withPath(raw, 'settings.build.threads', null)
      withPath(raw, 'settings.meta.description', null)
      withPath(raw, 'settings.invocation', null)
      withPath(raw, 'settings.container.image', null)
      withPath(raw, 'settings.egg.id', null)
      withPath(raw, 'process_configuration.stop.value', null)

      const { settings, process } = parseServerConfiguration(raw)

      expect(settings.build.threads).toBe('')
      expect(settings.meta.description).toBe('')
      expect(settings.invocation).toBe('')
      expect(settings.container.image).toBe('')
      expect(settings.egg.id).toBe('')
      expect(process.stop.value).toBe('')
    })

    it('reads null lists as empty lists', () => {
      const raw = paperServer()
      withPath(raw, 'settings.mounts', null)
      withPath(raw, 'settings.egg.file_denylist', null)
      withPath(raw, 'settings.allocations.mappings', { '0.0.0.0': null })
      withPath(raw, 'process_configuration.startup.done', null)
      withPath(raw, 'process_configuration.startup.user_interaction', null)
      withPath(raw, 'process_configuration.configs', null)

      const { settings, process } = parseServerConfiguration(raw)

      expect(settings.mounts).toEqual([])
      expect(settings.egg.fileDenylist).toEqual([])
      expect(settings.allocations.mappings).toEqual({ '0.0.0.0': [] })
      expect(process.startup.done).toEqual([])
      expect(process.startup.userInteraction).toEqual([])
      expect(process.configs).toEqual([])
    })

    it('reads absent keys as Go zero values, as the reference decodes them', () => {
      const raw = { settings: { uuid: 'd3aac109' }, process_configuration: {} }

      const config = parseServerConfiguration(raw)

      expect(config).toEqual({
        settings: {
          uuid: 'd3aac109',
          meta: { name: '', description: '' },
          suspended: false,
          environment: {},
          invocation: '',
          skipEggScripts: false,
          build: {
            memoryLimit: 0,
            swap: 0,
            ioWeight: 0,
            cpuLimit: 0,
            threads: '',
            diskSpace: 0,
            oomDisabled: false,
          },
          container: { image: '' },
          allocations: { forceOutgoingIp: false, default: { ip: '', port: 0 }, mappings: {} },
          mounts: [],
          egg: { id: '', fileDenylist: [] },
          labels: null,
          crashDetectionEnabled: undefined,
        },
        process: {
          startup: { done: [], userInteraction: [], stripAnsi: false },
          stop: { type: '', value: '' },
          configs: [],
        },
      })
    })

    it('keeps environment values that are numbers, booleans or null', () => {
      const raw = withPath(paperServer(), 'settings.environment', {
        P_SERVER_ALLOCATION_LIMIT: null,
        MAX_PLAYERS: 20,
        RATIO: 1.5,
        EULA: true,
      })

      const { settings } = parseServerConfiguration(raw)

      expect(settings.environment).toEqual({
        P_SERVER_ALLOCATION_LIMIT: null,
        MAX_PLAYERS: 20,
        RATIO: 1.5,
        EULA: true,
      })
    })

    it('uses the legacy "value" key when "replace_with" is absent, and prefers "replace_with"', () => {
      const raw = withPath(paperServer(), 'process_configuration.configs.0.replace', [
        { match: 'server-port', value: 25565 },
        { match: 'motd', value: 'old', replace_with: 'new' },
        { match: 'white-list', replace_with: null },
      ])

      const [config] = parseServerConfiguration(raw).process.configs

      expect(config?.replace).toEqual([
        { match: 'server-port', ifValue: undefined, replaceWith: 25565 },
        { match: 'motd', ifValue: undefined, replaceWith: 'new' },
        { match: 'white-list', ifValue: undefined, replaceWith: null },
      ])
    })

    it('keeps replacement values of any JSON type and reads a null if_value as none', () => {
      const raw = withPath(paperServer(), 'process_configuration.configs.0.replace', [
        { match: 'listeners', replace_with: { host: '0.0.0.0', ports: [1, 2] } },
        { match: 'enabled', if_value: null, replace_with: false },
      ])

      const [config] = parseServerConfiguration(raw).process.configs

      expect(config?.replace).toEqual([
        { match: 'listeners', ifValue: undefined, replaceWith: { host: '0.0.0.0', ports: [1, 2] } },
        { match: 'enabled', ifValue: undefined, replaceWith: false },
      ])
    })

    it('keeps "regex:" done entries as text for the console matcher to compile', () => {
      const raw = withPath(paperServer(), 'process_configuration.startup.done', [
        'regex:^Server started',
        'regex:',
        'regex:([unclosed',
      ])

      const { process } = parseServerConfiguration(raw)

      expect(process.startup.done).toEqual(['regex:^Server started', 'regex:', 'regex:([unclosed'])
    })

    it('drops an undecodable replacement list with a warning, keeping the file and the server', () => {
      const logger = new MemoryLogger()
      const raw = paperServer()
      withPath(raw, 'process_configuration.configs.0.replace', [{ replace_with: 'x' }])
      withPath(raw, 'process_configuration.configs.1.replace', 'listeners[0].host')

      const { process } = parseServerConfiguration(raw, { logger })

      expect(process.configs.map((c) => [c.file, c.replace])).toEqual([
        ['server.properties', []],
        ['config.yml', []],
      ])
      expect(logger.records.map((r) => [r.level, r.message, r.fields.file])).toEqual([
        ['warn', 'failed to decode configuration file replacements', 'server.properties'],
        ['warn', 'failed to decode configuration file replacements', 'config.yml'],
      ])
      expect(logger.records[0]?.fields.error).toContain(
        'process_configuration.configs[0].replace[0].match',
      )
    })

    it.each([
      ['no "match"', { replace_with: 'x' }],
      ['a "match" that is not a string', { match: 7, replace_with: 'x' }],
      ['an "if_value" that is not a string', { match: 'a', if_value: 1, replace_with: 'x' }],
      ['neither "replace_with" nor "value"', { match: 'a' }],
      ['an entry that is not an object', 'server-ip=0.0.0.0'],
    ])('drops the replacement list when an entry has %s', (_, entry) => {
      const raw = withPath(paperServer(), 'process_configuration.configs.0.replace', [
        { match: 'server-ip', replace_with: '0.0.0.0' },
        entry,
      ])

      const [config] = parseServerConfiguration(raw).process.configs

      expect(config?.replace).toEqual([])
    })

    it('reads the Pelican build.oom_killer as the inverse of oom_disabled', () => {
      const raw = withPath(paperServer(), 'settings.build.oom_disabled', ABSENT)
      withPath(raw, 'settings.build.oom_killer', true)

      expect(parseServerConfiguration(raw).settings.build.oomDisabled).toBe(false)
    })

    it('reads labels and the per-server crash detection override when the Panel sends them', () => {
      const raw = withPath(paperServer(), 'settings.labels', { 'com.example.tier': 'gold' })
      withPath(raw, 'settings.crash_detection_enabled', false)

      const { settings } = parseServerConfiguration(raw)

      expect(settings.labels).toEqual({ 'com.example.tier': 'gold' })
      expect(settings.crashDetectionEnabled).toBe(false)
    })

    it('accepts every stop type of the reference', () => {
      for (const type of ['command', 'signal', 'stop', '']) {
        const raw = withPath(paperServer(), 'process_configuration.stop.type', type)

        expect(parseServerConfiguration(raw).process.stop.type).toBe(type)
      }
    })

    it('ignores keys it does not use', () => {
      const raw = withPath(paperServer(), 'settings.id', 42)
      withPath(raw, 'settings.egg.features', { eula: ['You need to agree to the EULA'] })
      withPath(raw, 'uuid', 'd3aac109-e5e0-4331-b03e-3454f7e136dc')

      expect(parseServerConfiguration(raw).settings.uuid).toBe(
        'd3aac109-e5e0-4331-b03e-3454f7e136dc',
      )
    })
  })

  describe('rejects malformed data, naming the field', () => {
    it.each([
      ['a document that is not an object', null, 'the server configuration'],
      ['missing settings', { process_configuration: {} }, 'settings'],
      ['missing process_configuration', { settings: { uuid: 'a' } }, 'process_configuration'],
    ])('rejects %s', (_, raw, field) => {
      expect(failureOf(raw).field).toBe(field)
    })

    it.each([
      ['settings.uuid', ABSENT],
      ['settings.uuid', ''],
      ['settings.uuid', 42],
      ['settings.meta', 'Survival'],
      ['settings.meta.name', 1],
      ['settings.suspended', 'false'],
      ['settings.suspended', 0],
      ['settings.environment', ['SERVER_JARFILE']],
      ['settings.environment', 'SERVER_JARFILE=server.jar'],
      ['settings.environment.SERVER_JARFILE', { file: 'server.jar' }],
      ['settings.environment.SERVER_JARFILE', ['server.jar']],
      ['settings.invocation', 12],
      ['settings.skip_egg_scripts', 'true'],
      ['settings.build', []],
      ['settings.build.memory_limit', '1024'],
      ['settings.build.memory_limit', 1024.5],
      ['settings.build.memory_limit', -1],
      ['settings.build.swap', -2],
      ['settings.build.io_weight', true],
      ['settings.build.cpu_limit', 1e300],
      ['settings.build.disk_space', '5G'],
      ['settings.build.threads', 3],
      ['settings.build.oom_disabled', 'yes'],
      ['settings.container.image', ['java']],
      ['settings.allocations.force_outgoing_ip', 1],
      ['settings.allocations.default.ip', 127],
      ['settings.allocations.default.port', '25565'],
      ['settings.allocations.default.port', 70000],
      ['settings.allocations.mappings', [['0.0.0.0', 25565]]],
      ['settings.mounts', { source: '/mnt' }],
      ['settings.mounts', 'oops'],
      ['settings.egg.file_denylist', '*.jar'],
      ['settings.labels', 'tier=gold'],
      ['settings.crash_detection_enabled', 'no'],
      ['process_configuration', 'none'],
      ['process_configuration.startup', 'done'],
      ['process_configuration.startup.done', 'Done'],
      ['process_configuration.startup.strip_ansi', 'false'],
      ['process_configuration.stop.type', 'kill'],
      ['process_configuration.stop.type', 2],
      ['process_configuration.stop.value', ['stop']],
      ['process_configuration.configs', { file: 'server.properties' }],
    ])('rejects %s = %j', (path, value) => {
      const raw = withPath(paperServer(), path, value)

      const failure = failureOf(raw)

      expect(failure.field).toBe(path)
      expect(failure.message).toMatch(/^invalid Panel data at .+: /)
    })

    it.each([
      ['settings.allocations.mappings.0.0.0.0', { '0.0.0.0': 25565 }],
      ['settings.allocations.mappings.0.0.0.0[1]', { '0.0.0.0': [25565, '25566'] }],
      ['settings.allocations.mappings.0.0.0.0[0]', { '0.0.0.0': [null] }],
      ['settings.allocations.mappings.0.0.0.0[0]', { '0.0.0.0': [65536] }],
    ])('rejects bad ports in the mappings at %s', (field, mappings) => {
      const raw = withPath(paperServer(), 'settings.allocations.mappings', mappings)

      expect(failureOf(raw).field).toBe(field)
    })

    it.each([
      ['settings.mounts[0]', ['/mnt/shared']],
      ['settings.mounts[0].read_only', [{ source: '/a', target: '/b', read_only: 'true' }]],
      ['settings.mounts[0].source', [{ source: 1, target: '/b', read_only: true }]],
    ])('rejects a bad mount at %s', (field, mounts) => {
      const raw = withPath(paperServer(), 'settings.mounts', mounts)

      expect(failureOf(raw).field).toBe(field)
    })

    it.each([
      ['settings.egg.file_denylist[1]', 'settings.egg.file_denylist', ['*.jar', 3]],
      ['settings.labels.tier', 'settings.labels', { tier: 3 }],
      ['process_configuration.startup.done[0]', 'process_configuration.startup.done', [null]],
      [
        'process_configuration.startup.user_interaction[0]',
        'process_configuration.startup.user_interaction',
        [{}],
      ],
    ])('rejects a list or map item of the wrong type at %s', (field, path, value) => {
      const raw = withPath(paperServer(), path, value)

      expect(failureOf(raw).field).toBe(field)
    })

    it.each([
      ['file', 'the key "file" is missing'],
      ['parser', 'the key "parser" is missing'],
      ['replace', 'the key "replace" is missing'],
    ])('rejects a config file entry without "%s"', (key, problem) => {
      const raw = withPath(paperServer(), `process_configuration.configs.1.${key}`, ABSENT)

      const failure = failureOf(raw)

      expect(failure.field).toBe('process_configuration.configs[1]')
      expect(failure.message).toContain(problem)
    })

    it.each([
      ['process_configuration.configs[0]', 'process_configuration.configs.0', 'properties'],
      ['process_configuration.configs[0].file', 'process_configuration.configs.0.file', 7],
      ['process_configuration.configs[0].parser', 'process_configuration.configs.0.parser', {}],
    ])('rejects a malformed config file entry at %s', (field, path, value) => {
      const raw = withPath(paperServer(), path, value)

      expect(failureOf(raw).field).toBe(field)
    })

    it('names fields under the prefix it is given', () => {
      const raw = withPath(paperServer(), 'settings.build.swap', 'none')

      expect(failureOf(raw, 'data[3]').field).toBe('data[3].settings.build.swap')
    })

    it('describes what it expected and what it got', () => {
      const raw = withPath(paperServer(), 'settings.build.memory_limit', '1024')
      const negative = withPath(paperServer(), 'settings.build.swap', -5)

      expect(failureOf(negative).message).toBe(
        'invalid Panel data at settings.build.swap: expected an integer of at least -1, got number -5',
      )
      expect(failureOf(raw).message).toBe(
        'invalid Panel data at settings.build.memory_limit: expected an integer, got the string "1024"',
      )
    })
  })
})
