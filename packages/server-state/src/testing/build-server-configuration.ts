import type {
  ProcessConfiguration,
  ServerConfiguration,
  ServerSettings,
} from '../model/server-configuration.js'

export interface ServerConfigurationOverrides {
  readonly settings?: Partial<ServerSettings>
  readonly process?: Partial<ProcessConfiguration>
}

/** A valid configuration of a small server, with `overrides` merged over its top-level parts. */
export function buildServerConfiguration(
  uuid: string,
  overrides: ServerConfigurationOverrides = {},
): ServerConfiguration {
  return {
    settings: {
      uuid,
      meta: { name: `server ${uuid.slice(0, 8)}`, description: '' },
      suspended: false,
      environment: { SERVER_JARFILE: 'server.jar', P_SERVER_UUID: uuid },
      invocation: 'java -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}}',
      skipEggScripts: false,
      build: {
        memoryLimit: 1024,
        swap: 0,
        ioWeight: 500,
        cpuLimit: 100,
        threads: '',
        diskSpace: 5120,
        oomDisabled: true,
      },
      container: { image: 'node-daemon-test/busybox:latest' },
      allocations: {
        forceOutgoingIp: false,
        default: { ip: '127.0.0.1', port: 25565 },
        mappings: { '127.0.0.1': [25565] },
      },
      mounts: [],
      egg: { id: 'egg-1', fileDenylist: [] },
      labels: null,
      crashDetectionEnabled: undefined,
      ...overrides.settings,
    },
    process: {
      startup: { done: [')! For help, type '], userInteraction: [], stripAnsi: false },
      stop: { type: 'command', value: 'stop' },
      configs: [],
      ...overrides.process,
    },
  }
}
