import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

import { jailFaultOf } from '@node/filesystem-jail'
import { isDaemonError } from '@node/shared-kernel'

export const run = promisify(execFile)

export const SECRET = 'TOP SECRET: outside the root'

/** A temp dir with `root/` for the jail and `outside/` holding what no attack may touch. */
export interface Arena {
  readonly dir: string
  readonly root: string
  readonly outside: string
  remove(): Promise<void>
}

export async function createArena(): Promise<Arena> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jail-attack-'))
  const root = path.join(dir, 'root')
  const outside = path.join(dir, 'outside')
  await mkdir(root)
  await mkdir(path.join(outside, 'sub'), { recursive: true })
  await writeFile(path.join(outside, 'secret.txt'), SECRET, { mode: 0o600 })
  await writeFile(path.join(outside, 'victim.txt'), 'must survive', { mode: 0o644 })
  await writeFile(path.join(outside, 'sub', 'deep.txt'), 'deep', { mode: 0o644 })
  return {
    dir,
    root,
    outside,
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

/**
 * Everything under `dir`, without following links: kind, permission bits, owner, size and a
 * hash of the content (or the link target). Two equal snapshots mean nothing was read-modified,
 * written, created or deleted there.
 */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const visit = async (rel: string): Promise<void> => {
    const full = path.join(dir, rel)
    const stats = await lstat(full)
    const id = `${(stats.mode & 0o170000).toString(8)} ${(stats.mode & 0o7777).toString(8)} ${stats.uid}:${stats.gid} n${stats.nlink}`
    if (stats.isDirectory()) {
      out[rel || '.'] = id
      for (const name of await readdir(full)) await visit(path.join(rel, name))
    } else if (stats.isSymbolicLink()) {
      out[rel] = `${id} -> ${await readlink(full)}`
    } else if (stats.isFile()) {
      const hash = createHash('sha1')
        .update(await readFile(full))
        .digest('hex')
      out[rel] = `${id} ${stats.size} ${hash}`
    } else {
      out[rel] = id
    }
  }
  await visit('')
  return out
}

export interface Failure {
  readonly code: unknown
  readonly message: string
  readonly reason: unknown
}

/** What `promise` failed with, or `'ok'` (and the value) when it did not fail. */
export async function outcome(promise: Promise<unknown>): Promise<Failure | 'ok'> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    return {
      code: isDaemonError(error) ? error.code : undefined,
      message: (error as Error).message,
      reason: jailFaultOf(error)?.reason,
    }
  }
}

/** Runs `script` (JavaScript) in a separate Node process; the caller kills it. */
export function startNode(script: string, args: readonly string[] = []): ChildProcess {
  return spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Kills a child process and waits until it is gone. */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await gone
}
