import { randomUUID } from 'node:crypto'
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { DockerEnvironmentFactory } from '@node/environment-docker'
import { ServerRuntime, type PowerSettings } from '@node/power'
import { environmentSettingsOf, Server, type ProcessConfiguration } from '@node/server-state'
import { buildServerConfiguration } from '@node/server-state/testing'
import { ensureTestImages, TEST_IMAGE } from '@node/testkit'
import Docker from 'dockerode'

export { median } from './stats.js'

const UID = 988
export const docker = new Docker()

/** The network of the benchmarks (never the operator's pterodactyl_nw). */
const NETWORK = {
  name: 'ndbench_nw',
  networkMode: 'ndbench_nw',
  bridgeName: 'ndbench0',
  interface: '127.0.0.1',
  dns: [],
  v4: { subnet: '172.31.230.0/24', gateway: '172.31.230.1' },
  v6: { subnet: 'fdba:17c8:6c80::/64', gateway: 'fdba:17c8:6c80::1' },
}

export interface BenchNode {
  readonly factory: DockerEnvironmentFactory
  /** A server running `invocation` in the test image, with its runtime. */
  server(
    invocation: string,
    options?: { stop?: ProcessConfiguration['stop']; throttle?: PowerSettings['throttle'] },
  ): Promise<{ server: Server; runtime: ServerRuntime }>
  close(): Promise<void>
}

/** A Docker node for benchmarks: its own data directory and network, removed on close. */
export async function benchNode(): Promise<BenchNode> {
  await ensureTestImages(docker)
  const dataDirectory = await mkdtemp(path.join(tmpdir(), 'ndbench-'))
  await chmod(dataDirectory, 0o755)
  const factory = new DockerEnvironmentFactory({
    docker,
    dataDirectory,
    network: NETWORK,
    user: { uid: UID, gid: UID },
  })
  await factory.ensureNetwork()
  const runtimes: ServerRuntime[] = []
  return {
    factory,
    async server(invocation, options = {}) {
      const uuid = randomUUID()
      const base = buildServerConfiguration(uuid)
      const server = new Server({
        configuration: {
          settings: {
            ...base.settings,
            invocation,
            container: { image: TEST_IMAGE },
            allocations: { ...base.settings.allocations, mappings: {} },
          },
          process: { ...base.process, stop: options.stop ?? base.process.stop },
        },
        consoleLines: 150,
      })
      const root = path.join(dataDirectory, uuid)
      await mkdir(root)
      await chown(root, UID, UID)
      const settings = () => environmentSettingsOf(server.configuration, { timezone: 'UTC' })
      const runtime = new ServerRuntime({
        server,
        environment: factory.forServer(uuid, settings()),
        settings: () => ({
          appName: 'Pterodactyl',
          crashDetection: { enabled: false, detectCleanExitAsCrash: false, timeoutSeconds: 60 },
          throttle: options.throttle ?? { lines: Number.MAX_SAFE_INTEGER, intervalMs: 100 },
        }),
        preflight: { sync: () => Promise.resolve(), environmentSettings: settings },
      })
      runtimes.push(runtime)
      return { server, runtime }
    },
    async close() {
      for (const runtime of runtimes) await runtime.destroy().catch(() => undefined)
      await docker
        .getNetwork(NETWORK.name)
        .remove()
        .catch(() => undefined)
      await rm(dataDirectory, { recursive: true, force: true })
    },
  }
}

/** Resolves when `predicate` holds for a server event, checked on every `console output`/`status`. */
export function waitFor(
  server: Server,
  predicate: () => boolean,
  timeoutMs = 120_000,
): Promise<void> {
  if (predicate()) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      done()
      reject(new Error('benchmark timed out'))
    }, timeoutMs)
    const check = (): void => {
      if (!predicate()) return
      done()
      resolve()
    }
    const unsubscribe = [
      server.events.subscribe('console output', check),
      server.events.subscribe('status', check),
    ]
    const done = (): void => {
      clearTimeout(timer)
      for (const u of unsubscribe) u()
    }
  })
}
