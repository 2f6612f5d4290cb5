import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root: processes running its files belong to this test run. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
/** How long teardown lets processes that are being stopped finish before calling them leaked. */
const SETTLE_MS = 5000

/** What /proc tells about one process. */
export interface ProcessInfo {
  readonly pid: number
  readonly ppid: number
  /** The command line, arguments joined by spaces. */
  readonly command: string
  /** The working directory; empty when it cannot be read. */
  readonly cwd: string
}

export interface TestProcessScope {
  /** The repository root, with a trailing `/`. */
  readonly root: string
  /** The run's temp directory: every temp dir of the tests is made under it. */
  readonly tmp: string
  /** Processes never counted: the test runner and its ancestors. */
  readonly exclude: ReadonlySet<number>
}

/**
 * The processes this test run started and that outlived their test: game servers, daemons and
 * their children. A process is the run's when it runs one of the repository's files (the fake
 * game server, the daemon's entry point) or works inside the run's temp directory (servers of
 * the process environment, whose command lines name nothing). The runner's own processes (under
 * node_modules) are not counted.
 */
export function testProcesses(all: readonly ProcessInfo[], scope: TestProcessScope): ProcessInfo[] {
  // The checkout's toolchain (node_modules, .tools) may run other checkouts' processes too.
  const tooling = ['node_modules', '.tools'].map((dir) => path.join(scope.root, dir) + path.sep)
  return all.filter((p) => {
    if (scope.exclude.has(p.pid)) return false
    const insideTmp = p.cwd === scope.tmp || p.cwd.startsWith(scope.tmp + path.sep)
    const ownFiles = tooling.reduce((command, dir) => command.replaceAll(dir, ''), p.command)
    return insideTmp || ownFiles.includes(scope.root)
  })
}

/** Every process of the machine, from /proc (those that vanish while being read are skipped). */
export async function listProcesses(): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    try {
      const [cmdline, stat, cwd] = await Promise.all([
        readFile(`/proc/${pid}/cmdline`, 'utf8'),
        readFile(`/proc/${pid}/stat`, 'utf8'),
        readlink(`/proc/${pid}/cwd`).catch(() => ''),
      ])
      // Kernel threads have no command line.
      if (cmdline === '') continue
      // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after the last `)`.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      out.push({ pid, ppid, command: cmdline.replace(/\0+$/, '').replaceAll('\0', ' '), cwd })
    } catch {
      continue
    }
  }
  return out
}

/** The current process and every ancestor up to init. */
function selfAndAncestors(all: readonly ProcessInfo[]): Set<number> {
  const byPid = new Map(all.map((p) => [p.pid, p]))
  const chain = new Set<number>()
  for (let pid = process.pid; pid > 1 && !chain.has(pid); pid = byPid.get(pid)?.ppid ?? 0) {
    chain.add(pid)
  }
  return chain
}

interface RunState {
  users: number
  readonly scope: TestProcessScope
  readonly before: ReadonlySet<number>
  readonly previousTmp: string | undefined
}

// One check per run, however many projects list this setup (each loads its own copy of the file).
const STATE = Symbol.for('node-daemon.leak-check')
type Holder = { [STATE]?: RunState }

/**
 * vitest global setup of every project: the run gets a temp directory of its own (TMPDIR, which
 * the test workers and the processes they start inherit), and teardown fails the run when a
 * process the tests started is still running. Leaked processes are listed, then killed.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const holder = globalThis as Holder
  if (holder[STATE] === undefined) {
    const previousTmp = process.env['TMPDIR']
    const tmp = await mkdtemp(path.join(tmpdir(), 'node-daemon-test-run-'))
    process.env['TMPDIR'] = tmp
    const all = await listProcesses()
    const scope = { root: ROOT, tmp, exclude: selfAndAncestors(all) }
    const before = new Set(testProcesses(all, scope).map((p) => p.pid))
    holder[STATE] = { users: 0, scope, before, previousTmp }
  }
  const state = holder[STATE]
  state.users++
  return async () => {
    if (--state.users > 0) return
    delete holder[STATE]
    const leaked = await settle(state)
    for (const p of leaked) {
      try {
        process.kill(p.pid, 'SIGKILL')
      } catch {
        // Gone meanwhile.
      }
    }
    if (state.previousTmp === undefined) delete process.env['TMPDIR']
    else process.env['TMPDIR'] = state.previousTmp
    await rm(state.scope.tmp, { recursive: true, force: true })
    if (leaked.length > 0) {
      process.exitCode = 1
      const list = leaked.map((p) => `  pid ${p.pid} (cwd ${p.cwd || '?'}): ${p.command}`)
      throw new Error(
        `the tests left ${leaked.length} process(es) running (now killed):\n${list.join('\n')}`,
      )
    }
  }
}

/** The run's processes still alive, waiting up to SETTLE_MS for those on their way out. */
async function settle(state: RunState): Promise<ProcessInfo[]> {
  const deadline = Date.now() + SETTLE_MS
  for (;;) {
    const all = await listProcesses()
    const exclude = new Set([...state.scope.exclude, ...selfAndAncestors(all)])
    const leaked = testProcesses(all, { ...state.scope, exclude }).filter(
      (p) => !state.before.has(p.pid),
    )
    if (leaked.length === 0 || Date.now() > deadline) return leaked
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
