import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { promisify } from 'node:util'

import Docker from 'dockerode'
import { afterEach, describe, expect, it } from 'vitest'
import { createTempDir, listProcesses, type TempDir } from '@node/testkit'

import { spawnCli } from './support/daemon-process.js'
import { freePort } from './support/test-node.js'

// Issue 10 item 6: `wings demo` (what `./dev start` runs without --config) starts the embedded
// default, and every command its banner prints works as printed: each is run here with /bin/sh,
// exactly as the banner shows it, with Docker and without.

const sh = promisify(execFile)
let dir: TempDir | undefined
let embedded: ChildProcess | undefined
let container: string | undefined

afterEach(async () => {
  if (embedded && embedded.exitCode === null && embedded.signalCode === null) {
    embedded.kill('SIGKILL')
    await once(embedded, 'exit')
  }
  embedded = undefined
  if (container) {
    await new Docker()
      .getContainer(container)
      .remove({ force: true })
      .catch(() => undefined)
  }
  container = undefined
  await dir?.[Symbol.asyncDispose]()
  dir = undefined
})

interface Banner {
  readonly text: string
  readonly server: string
  readonly environment: string
  /** Each suggestion's command, by the line that describes it. */
  readonly commands: ReadonlyMap<string, string>
}

async function startEmbedded(env: Record<string, string>): Promise<Banner> {
  dir = await createTempDir('embedded-')
  const child = spawnCli(['demo'], {
    cwd: dir.path,
    env: { WINGS_EMBEDDED_PORT: String(await freePort()), ...env },
  })
  embedded = child
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()))
  await until(
    'the banner',
    () => out.includes('Stop with Ctrl-C.'),
    60_000,
    () => out,
  )
  const lines = out.slice(out.indexOf('Embedded mode:')).split('\n')
  const commands = new Map<string, string>()
  lines.forEach((line, i) => {
    const next = lines[i + 1]
    if (/^ {2}\S/.test(line) && next !== undefined && /^ {4}\S/.test(next)) {
      commands.set(line.trim(), next.trim())
    }
  })
  const field = (name: string) => new RegExp(`^ {2}${name} +(.+)$`, 'm').exec(out)?.[1] ?? ''
  return { text: out, server: field('sample server'), environment: field('environment'), commands }
}

async function until(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  detail: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

function command(banner: Banner, startsWith: string): string {
  const found = [...banner.commands].find(([what]) => what.startsWith(startsWith))
  if (!found) throw new Error(`the banner suggests no "${startsWith}":\n${banner.text}`)
  return found[1]
}

/** Runs a printed command as a shell would. */
async function run(cmd: string): Promise<string> {
  return (await sh('/bin/sh', ['-c', cmd])).stdout
}

/** Follows every suggestion of the banner in order, checking what each one shows. */
async function followBanner(banner: Banner): Promise<void> {
  const list = JSON.parse(await run(command(banner, 'list the servers'))) as unknown[]
  expect(JSON.stringify(list)).toContain(banner.server)

  expect(await run(command(banner, 'start the sample server'))).toBe('')
  const done = 'Done (0.01s)! For help, type \\"help\\"'
  const readConsole = command(banner, 'read its console')
  await until('the ready line in the console', async () => (await run(readConsole)).includes(done))

  const consoleClient = spawn('/bin/sh', ['-c', command(banner, 'open its console websocket')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let seen = ''
  consoleClient.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()))
  consoleClient.stderr.on('data', (chunk: Buffer) => (seen += chunk.toString()))
  const closed = once(consoleClient, 'close')
  await until(
    'the console history',
    () => seen.includes('Done (0.01s)!'),
    30_000,
    () => seen,
  )
  consoleClient.stdin.write('hello from the browser\n')
  await until(
    'the echo',
    () => seen.includes('> hello from the browser'),
    30_000,
    () => seen,
  )
  consoleClient.stdin.end()
  expect((await closed)[0], seen).toBe(0)

  const file = await run(command(banner, 'download a file'))
  expect(file).toMatch(/^server-port=\d+$/m)
}

async function stopEmbedded(): Promise<number | null> {
  embedded!.kill('SIGTERM')
  const [code] = (await once(embedded!, 'exit')) as [number | null]
  return code
}

describe('the embedded default', () => {
  it('without Docker: says so, and every suggestion works as printed', async () => {
    const banner = await startEmbedded({
      DOCKER_HOST: `unix://${path.join('/nonexistent', 'docker.sock')}`,
    })
    expect(banner.environment).toMatch(/^process \(no Docker engine answered: .*child process/)

    await followBanner(banner)

    const root = path.join(dir!.path, '.data/embedded/volumes', banner.server)
    const serverPids = (await listProcesses()).filter((p) => p.cwd.startsWith(root))
    expect(serverPids.length).toBeGreaterThan(0)
    expect(await stopEmbedded()).toBe(0)
    const alive = (await listProcesses()).filter((p) => serverPids.some((s) => s.pid === p.pid))
    expect(alive).toEqual([])
  })

  it('with Docker: the sample server runs in its locally built image, as printed', async () => {
    const banner = await startEmbedded({})
    container = banner.server
    expect(banner.environment).toBe('docker')

    await followBanner(banner)

    const info = await new Docker().getContainer(banner.server).inspect()
    expect(info.Config.Image).toBe('node-daemon-sample/busybox:latest')
    expect(await stopEmbedded()).toBe(0)
  })
})
