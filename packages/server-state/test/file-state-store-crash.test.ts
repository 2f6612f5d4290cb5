import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterEach, describe, expect, it } from 'vitest'

import { MemoryLogger } from '@node/shared-kernel/testing'

import { FileStateStore } from '../src/file-state-store.js'

// A real process runs the real store and is killed with SIGKILL: see the fixture's header.
const SAVER = fileURLToPath(new URL('./fixtures/save-forever.mjs', import.meta.url))
const SERVERS = 20_000
const STATES = ['offline', 'starting', 'running', 'stopping']

const children: ChildProcess[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await once(child, 'exit')
    }
  }
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function statesFile(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'server-state-crash-'))
  dirs.push(dir)
  return { dir, file: path.join(dir, 'states.json') }
}

/** Runs the saver until `until(line)` holds for a line it printed, then kills it with SIGKILL. */
async function runAndKill(
  args: readonly string[],
  until: (line: string, index: number) => boolean,
  afterMs = 0,
): Promise<void> {
  const child = spawn(process.execPath, ['--conditions=@node/source', SAVER, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  child.stdout?.setEncoding('utf8')
  let index = 0
  let pending = ''
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`saver exited early with ${code}`)))
    child.stdout?.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) if (until(line, index++)) resolve()
    })
  })
  child.removeAllListeners('exit')
  if (afterMs > 0) await new Promise((resolve) => setTimeout(resolve, afterMs))
  child.kill('SIGKILL')
  await once(child, 'exit')
}

describe('FileStateStore after a crash', () => {
  it('keeps the previous content when the writer dies with its temp file half written', async () => {
    const { dir, file } = await statesFile()

    for (const stallAt of [1, 2, 3, 6]) {
      await runAndKill([file, String(SERVERS), String(stallAt)], (line) => line === 'stalled')
      const leftBehind = await readdir(dir)
      const logger = new MemoryLogger()

      const states = await new FileStateStore({ file, logger }).load()

      expect(leftBehind).toHaveLength(2)
      expect(Object.keys(states)).toHaveLength(SERVERS)
      expect(new Set(Object.values(states))).toEqual(new Set([STATES[(stallAt - 1) % 4]]))
      expect(logger.records.filter((r) => r.level !== 'info')).toEqual([])
      expect(await readdir(dir)).toEqual(['states.json'])
    }
  })

  it('finds a complete file whenever the writer is killed', async () => {
    const { dir, file } = await statesFile()

    // Kills after a varying number of saves and delays, to land in different phases of a save.
    for (let round = 0; round < 6; round++) {
      await runAndKill([file, String(SERVERS)], (_line, i) => i >= 1 + (round % 3), round * 3)
      const logger = new MemoryLogger()

      const states = await new FileStateStore({ file, logger }).load()

      expect(Object.keys(states)).toHaveLength(SERVERS)
      expect(new Set(Object.values(states)).size).toBe(1)
      expect(logger.records.filter((r) => r.level !== 'info')).toEqual([])
      expect(await readdir(dir)).toEqual(['states.json'])
    }
  })
})
