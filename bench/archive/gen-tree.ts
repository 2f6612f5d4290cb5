// The bench's own data: a game-server-like tree of 1 GiB in 10,000 files over 100 directories,
// the same every time (seeded). 8 files of 32 MiB (6 incompressible like jars and region files,
// 2 log text), and 9,992 files of 256 B to 1 MiB (log-uniform), half log-like text, half random.
import { createCipheriv, createHash } from 'node:crypto'
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import path from 'node:path'

const MiB = 1024 * 1024
const FILES = 10_000
const LARGE = 8

/** xorshift32: a small seeded generator, enough for sizes and words. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x1_0000_0000
  }
}

const WORDS =
  'player joined left game server thread info warn error chunk loaded saved world region entity tick took behind skipping running version plugin enabling config level seed spawn difficulty gamemode survival command teleported lost connection timed out uuid done preparing dimension overworld nether villager zombie creeper died'.split(
    ' ',
  )

function writeRandom(file: string, size: number, index: number): void {
  const key = createHash('sha256').update(`tree1g:${index}`).digest()
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16))
  const zeros = Buffer.alloc(4 * MiB)
  const fd = openSync(file, 'w')
  for (let left = size; left > 0; left -= Math.min(left, zeros.length)) {
    writeSync(fd, cipher.update(zeros.subarray(0, Math.min(left, zeros.length))))
  }
  closeSync(fd)
}

function writeText(file: string, size: number, seed: number): void {
  const next = random(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const fd = openSync(file, 'w')
  let left = size
  while (left > 0) {
    let chunk = ''
    while (chunk.length < MiB && chunk.length < left) {
      const time = [24, 60, 60].map((n) => String(Math.floor(next() * n)).padStart(2, '0'))
      const words = Array.from({ length: 4 + Math.floor(next() * 10) }, () =>
        next() < 0.15 ? String(Math.floor(next() * 100_000)) : pick(WORDS),
      )
      chunk += `[${time.join(':')}] [Server thread/${pick(['INFO', 'INFO', 'WARN', 'ERROR'])}]: ${words.join(' ')}\n`
    }
    const bytes = Buffer.from(chunk.slice(0, left), 'latin1')
    writeSync(fd, bytes)
    left -= bytes.length
  }
  closeSync(fd)
}

/** Writes the tree at `dir` (replacing it). */
export function generateTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  const next = random(1)
  const small = Array.from({ length: FILES - LARGE }, () =>
    Math.exp(Math.log(256) + next() * (Math.log(MiB) - Math.log(256))),
  )
  const budget = 1024 * MiB - LARGE * 32 * MiB
  const scale = budget / small.reduce((a, b) => a + b, 0)
  const sizes = small.map((s) => Math.max(1, Math.floor(s * scale)))
  sizes[sizes.length - 1]! += budget - sizes.reduce((a, b) => a + b, 0)
  for (let d = 0; d < 100; d++)
    mkdirSync(path.join(dir, `d${String(d).padStart(2, '0')}`), { recursive: true })
  for (let i = 0; i < FILES; i++) {
    const size = i < LARGE ? 32 * MiB : sizes[i - LARGE]!
    const text = i < LARGE ? i >= 6 : i % 2 === 0
    const name = `f${String(i).padStart(5, '0')}.${text ? 'log' : 'dat'}`
    const file = path.join(dir, `d${String(i % 100).padStart(2, '0')}`, name)
    if (text) writeText(file, size, 1000 + i)
    else writeRandom(file, size, i)
  }
}
