import { SAMPLE_IMAGE_TAG } from './busybox-image.js'
import type { Fixture } from './fixture.js'

export interface SampleFixtureOptions {
  /**
   * `docker` (default): the egg's install script runs in the test image. `process`: for hosts
   * without Docker, where nothing can run an install container, so the server skips egg scripts.
   */
  readonly environment?: 'docker' | 'process'
}

/**
 * The egg's image: the small busybox image `ensureSampleImage` builds on this machine. The `~`
 * marks it local, so the daemon never tries to pull it from a registry.
 */
export const SAMPLE_IMAGE = `~${SAMPLE_IMAGE_TAG}`

// A tiny console "game server" in POSIX sh: prints a Minecraft-like ready line, echoes input and
// stops on `stop`. The daemon fills in {{VAR}} placeholders from the server environment.
const SAMPLE_STARTUP =
  'echo "Starting sample server on {{SERVER_IP}}:{{SERVER_PORT}}"; echo "{{DONE_MESSAGE}}"; ' +
  'while read -r line; do case "$line" in stop) echo "Stopping sample server"; exit 0;; ' +
  '*) echo "> $line";; esac; done'

/**
 * One node, one root admin, one egg and one server, with the example values of
 * panel-contract.md (token id `Q0mVwY8pXb3Kc7Rt`, server `d3aac109-…`). `fixtures/sample.json` is
 * this fixture for Docker; a test keeps the two identical.
 */
export function sampleFixture(options: SampleFixtureOptions = {}): Fixture {
  const processEnvironment = options.environment === 'process'
  return {
    nodes: [
      {
        id: 1,
        uuid: '0f4b8f3e-3c8a-4b8e-9d9a-2c1f6b7a8e90',
        name: 'node1',
        location: 'local',
        daemonUrl: 'http://127.0.0.1:8080',
        daemonSftp: 2022,
        tokenId: 'Q0mVwY8pXb3Kc7Rt',
        token: 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2',
      },
    ],
    users: [
      {
        id: 1,
        uuid: '5e4c2b8a-7f61-4c1e-9a3d-2b7f0c9e8d41',
        username: 'admin',
        email: 'admin@example.com',
        password: 'password',
        rootAdmin: true,
      },
    ],
    eggs: [
      {
        id: 1,
        uuid: '7a1f3c2e-9b4d-4e8f-a6c5-1d2e3f4a5b6c',
        name: 'Busybox sample',
        startup: SAMPLE_STARTUP,
        dockerImage: SAMPLE_IMAGE,
        configStartup: { done: ')! For help, type ' },
        configStop: 'stop',
        configFiles: {
          'server.properties': {
            parser: 'properties',
            find: {
              'server-ip': '0.0.0.0',
              'server-port': '{{server.build.default.port}}',
              'query.port': '{{server.build.default.port}}',
            },
          },
        },
        configLogs: {},
        fileDenylist: [],
        scriptContainer: SAMPLE_IMAGE,
        scriptEntry: 'ash',
        // Stored with CRLF line endings, as eggs imported from files are.
        scriptInstall:
          '#!/bin/ash\r\n# Sample installation script\r\necho "Installing sample server"\r\n' +
          'mkdir -p /mnt/server\r\necho "eula=true" > /mnt/server/eula.txt\r\necho "Installation done"\r\n',
        variables: [
          { envVariable: 'DONE_MESSAGE', defaultValue: 'Done (0.01s)! For help, type "help"' },
        ],
      },
    ],
    servers: [
      {
        id: 1,
        uuid: 'd3aac109-e5e0-4331-b03e-3454f7e136dc',
        name: 'Sample',
        description: 'A busybox shell loop that behaves like a small game server.',
        node: 1,
        owner: 1,
        egg: 1,
        skipScripts: processEnvironment,
        memory: 256,
        swap: 0,
        io: 500,
        cpu: 100,
        threads: null,
        disk: 512,
        oomDisabled: true,
        allocationLimit: 0,
        allocations: [{ ip: '127.0.0.1', port: 25565 }],
      },
    ],
  }
}
