import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { gunzipSync } from 'node:zlib'

import { describe, expect, it } from 'vitest'

import { ParallelGzip } from './parallel-gzip.js'

describe('ParallelGzip', () => {
  it('writes members that gunzip back to the input, in order', async () => {
    const input = Buffer.concat([randomBytes(200_000), Buffer.alloc(150_000, 0x61), randomBytes(7)])
    const chunks = Array.from({ length: Math.ceil(input.length / 9_000) }, (_, i) =>
      input.subarray(i * 9_000, (i + 1) * 9_000),
    )
    const out = await buffer(
      Readable.from(chunks).pipe(new ParallelGzip({ blockBytes: 64 * 1024, inFlight: 3 })),
    )
    expect(gunzipSync(out).equals(input)).toBe(true)
    // Six members: each starts with the gzip magic and deflate method.
    let members = 0
    for (let i = out.indexOf('1f8b08', 0, 'hex'); i !== -1; i = out.indexOf('1f8b08', i + 1, 'hex'))
      members++
    expect(members).toBeGreaterThanOrEqual(6)
  })

  it('writes one empty member for empty input', async () => {
    const out = await buffer(Readable.from([]).pipe(new ParallelGzip()))
    expect(gunzipSync(out).length).toBe(0)
  })
})
