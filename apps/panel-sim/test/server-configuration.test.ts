import { afterEach, describe, expect, it } from 'vitest'

import { startPanelSim, type Fixture, type PanelSim } from '@node/panel-sim'

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const STARTUP =
  'java -Xms128M -XX:MaxRAMPercentage=95.0 -Dterminal.jline=false -Dterminal.ansi=true -jar {{SERVER_JARFILE}}'

/** The Paper server of panel-contract.md C.3 ("Full example"), as Panel database rows. */
const PAPER: Fixture = {
  nodes: [{ location: 'de', tokenId: 'node1', token: 'secret' }],
  eggs: [
    {
      uuid: '7a1f3c2e-9b4d-4e8f-a6c5-1d2e3f4a5b6c',
      name: 'Paper',
      startup: STARTUP,
      dockerImage: 'ghcr.io/pterodactyl/yolks:java_21',
      configStartup: '{"done": ")! For help, type "}',
      configStop: 'stop',
      configFiles:
        '{"server.properties":{"parser":"properties","find":{"server-ip":"0.0.0.0","server-port":"{{server.build.default.port}}","query.port":"{{server.build.default.port}}"}}}',
      fileDenylist: [],
      variables: [
        { envVariable: 'MINECRAFT_VERSION', defaultValue: 'latest' },
        { envVariable: 'SERVER_JARFILE', defaultValue: 'server.jar' },
        { envVariable: 'DL_PATH', defaultValue: '' },
        { envVariable: 'BUILD_NUMBER', defaultValue: 'latest' },
      ],
    },
  ],
  servers: [
    {
      uuid: SERVER,
      name: 'Survival',
      memory: 1024,
      swap: 0,
      io: 500,
      cpu: 200,
      disk: 5120,
      allocations: [
        { ip: '45.86.168.218', port: 25565 },
        { ip: '45.86.168.218', port: 25566 },
      ],
    },
  ],
}

const PAPER_WIRE = {
  settings: {
    uuid: SERVER,
    meta: { name: 'Survival', description: '' },
    suspended: false,
    environment: {
      MINECRAFT_VERSION: 'latest',
      SERVER_JARFILE: 'server.jar',
      DL_PATH: '',
      BUILD_NUMBER: 'latest',
      STARTUP,
      P_SERVER_LOCATION: 'de',
      P_SERVER_UUID: SERVER,
      P_SERVER_ALLOCATION_LIMIT: 0,
    },
    invocation: STARTUP,
    skip_egg_scripts: false,
    build: {
      memory_limit: 1024,
      swap: 0,
      io_weight: 500,
      cpu_limit: 200,
      threads: null,
      disk_space: 5120,
      oom_disabled: true,
    },
    container: {
      image: 'ghcr.io/pterodactyl/yolks:java_21',
      oom_disabled: true,
      requires_rebuild: false,
    },
    allocations: {
      force_outgoing_ip: false,
      default: { ip: '45.86.168.218', port: 25565 },
      mappings: { '45.86.168.218': [25565, 25566] },
    },
    mounts: [],
    egg: { id: '7a1f3c2e-9b4d-4e8f-a6c5-1d2e3f4a5b6c', file_denylist: [] },
  },
  process_configuration: {
    startup: { done: [')! For help, type '], user_interaction: [], strip_ansi: false },
    stop: { type: 'command', value: 'stop' },
    configs: [
      {
        parser: 'properties',
        file: 'server.properties',
        replace: [
          { match: 'server-ip', replace_with: '0.0.0.0' },
          { match: 'server-port', replace_with: '25565' },
          { match: 'query.port', replace_with: '25565' },
        ],
      },
    ],
  },
}

let sim: PanelSim | undefined

afterEach(async () => {
  await sim?.close()
  sim = undefined
})

async function fetchConfiguration(
  uuid = SERVER,
): Promise<{ status: number; text: string; json: unknown }> {
  const node = sim!.node()
  const res = await fetch(`${sim!.url}/api/remote/servers/${uuid}`, {
    headers: {
      Authorization: `Bearer ${node.daemonTokenId}.${node.daemonToken}`,
      Accept: 'application/json',
    },
  })
  const text = await res.text()
  return { status: res.status, text, json: JSON.parse(text) as unknown }
}

function withEgg(egg: Record<string, unknown>, server: Record<string, unknown> = {}): Fixture {
  return {
    ...PAPER,
    eggs: [{ ...PAPER.eggs![0]!, ...egg }],
    servers: [{ ...PAPER.servers![0]!, ...server }],
  }
}

describe('server configuration wire shape (C.3)', () => {
  it('matches the Paper example key for key, in the Panel’s order, with PHP escaping', async () => {
    sim = await startPanelSim({ fixture: PAPER })

    const res = await fetchConfiguration()

    expect(res.status).toBe(200)
    expect(JSON.stringify(res.json)).toBe(JSON.stringify(PAPER_WIRE))
    expect(res.text).toContain('"image":"ghcr.io\\/pterodactyl\\/yolks:java_21"')
  })

  it('expands an object value into if_value entries and leaves {{config.*}} for the daemon', async () => {
    sim = await startPanelSim({
      fixture: withEgg({
        configFiles: {
          'config.yml': {
            parser: 'yaml',
            find: {
              'listeners[0].query_port': '{{server.build.default.port}}',
              'listeners[0].host': '0.0.0.0:{{server.build.default.port}}',
              'servers.*.address': {
                'regex:^(127\\.0\\.0\\.1|localhost)(:\\d{1,5})?$': '{{config.docker.interface}}$2',
              },
            },
          },
        },
      }),
    })

    const { json } = await fetchConfiguration()

    expect((json as typeof PAPER_WIRE).process_configuration.configs).toEqual([
      {
        parser: 'yaml',
        file: 'config.yml',
        replace: [
          { match: 'listeners[0].query_port', replace_with: '25565' },
          { match: 'listeners[0].host', replace_with: '0.0.0.0:25565' },
          {
            match: 'servers.*.address',
            if_value: 'regex:^(127\\.0\\.0\\.1|localhost)(:\\d{1,5})?$',
            replace_with: '{{config.docker.network.interface}}$2',
          },
        ],
      },
    ])
  })

  it('reproduces the legacy-alias quirk: the rewritten placeholder is left unreplaced', async () => {
    sim = await startPanelSim({
      fixture: withEgg({
        configFiles: {
          'a.ini': {
            parser: 'ini',
            find: {
              port: '{{env.SERVER_PORT}}',
              memory: '{{server.build.env.SERVER_MEMORY}}',
              jar: '{{env.SERVER_JARFILE}}',
              n: 5,
            },
          },
        },
      }),
    })

    const { json } = await fetchConfiguration()

    expect((json as typeof PAPER_WIRE).process_configuration.configs[0]!.replace).toEqual([
      { match: 'port', replace_with: '{{server.build.default.port}}' },
      { match: 'memory', replace_with: '{{server.build.memory}}' },
      { match: 'jar', replace_with: 'server.jar' },
      { match: 'n', replace_with: 5 },
    ])
  })

  it('turns a ^ stop into an upper-cased signal and wraps nothing when done is absent', async () => {
    sim = await startPanelSim({
      fixture: withEgg({ configStop: '^c', configStartup: '{"strip_ansi": true}' }),
    })

    const { json } = await fetchConfiguration()

    expect((json as typeof PAPER_WIRE).process_configuration.stop).toEqual({
      type: 'signal',
      value: 'C',
    })
    expect((json as typeof PAPER_WIRE).process_configuration.startup).toEqual({
      done: null,
      user_interaction: [],
      strip_ansi: true,
    })
  })

  it('drops config entries without find and keeps the egg’s extra keys before file and replace', async () => {
    sim = await startPanelSim({
      fixture: withEgg({
        configFiles: {
          'x.json': { parser: 'json', find: {}, extra: 1 },
          'skip.txt': { parser: 'file' },
          bad: 'string',
        },
      }),
    })

    const { json } = await fetchConfiguration()

    expect(JSON.stringify((json as typeof PAPER_WIRE).process_configuration.configs)).toBe(
      '[{"parser":"json","extra":1,"file":"x.json","replace":[]}]',
    )
  })

  it.each([
    ['a null stop', { configStop: null }],
    ['a null startup', { configStartup: null }],
    ['config files "[]"', { configFiles: '[]' }],
    ['null config files', { configFiles: null }],
  ])('answers 500 for an egg with %s, as the Panel does', async (_, egg) => {
    sim = await startPanelSim({ fixture: withEgg(egg), log: () => undefined })

    const res = await fetchConfiguration()

    expect(res.status).toBe(500)
    expect((res.json as { errors: { detail: string }[] }).errors[0]!.detail).toBe(
      'An unexpected error was encountered while processing this request, please try again.',
    )
  })

  it('inherits config from the "copy settings from" egg and the script from the "copy script from" egg', async () => {
    const parent = {
      ...PAPER.eggs![0]!,
      id: 1,
      fileDenylist: ['*.jar'],
      scriptInstall: '#!/bin/ash\necho parent\n',
    }
    sim = await startPanelSim({
      fixture: {
        ...PAPER,
        eggs: [
          parent,
          {
            id: 2,
            configFrom: 1,
            copyScriptFrom: 1,
            scriptInstall: null,
            variables: PAPER.eggs![0]!.variables,
          },
        ],
        servers: [{ ...PAPER.servers![0]!, egg: 2 }],
      },
    })
    const node = sim.node()

    const { json } = await fetchConfiguration()
    const install = (await (
      await fetch(`${sim.url}/api/remote/servers/${SERVER}/install`, {
        headers: { Authorization: `Bearer ${node.daemonTokenId}.${node.daemonToken}` },
      })
    ).json()) as { script: string }

    expect((json as typeof PAPER_WIRE).settings.egg.file_denylist).toEqual(['*.jar'])
    expect((json as typeof PAPER_WIRE).process_configuration.stop).toEqual({
      type: 'command',
      value: 'stop',
    })
    expect(install.script).toBe('#!/bin/ash\necho parent\n')
  })

  it('keeps stored values, falls back to defaults for null, and writes a null allocation limit', async () => {
    sim = await startPanelSim({
      fixture: withEgg(
        {},
        {
          environment: { SERVER_JARFILE: 'paper.jar', DL_PATH: null },
          allocationLimit: null,
          threads: '0-1,3',
          suspended: true,
        },
      ),
    })

    const settings = ((await fetchConfiguration()).json as typeof PAPER_WIRE).settings

    expect(settings.environment).toMatchObject({
      SERVER_JARFILE: 'paper.jar',
      DL_PATH: '',
      P_SERVER_ALLOCATION_LIMIT: null,
    })
    expect(settings.build.threads).toBe('0-1,3')
    expect(settings.suspended).toBe(true)
  })

  it('reflects admin updates on the next fetch', async () => {
    sim = await startPanelSim({ fixture: PAPER })

    sim.updateServer(SERVER, {
      memory: 2048,
      suspended: true,
      allocations: [{ ip: '127.0.0.1', port: 30001 }],
    })
    const settings = ((await fetchConfiguration()).json as typeof PAPER_WIRE).settings

    expect(settings.build.memory_limit).toBe(2048)
    expect(settings.suspended).toBe(true)
    expect(settings.allocations.default).toEqual({ ip: '127.0.0.1', port: 30001 })
    expect(settings.allocations.mappings).toEqual({ '127.0.0.1': [30001] })
  })
})
