import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'
import { startS3rver, type RunningS3rver } from '@node/testkit'

import { wings } from './support/wings.js'

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'

let s3: RunningS3rver
let sim: PanelSim | undefined

beforeEach(async () => {
  // s3rver checks SigV4 signatures (header and presigned) against its default S3RVER credentials.
  s3 = await startS3rver()
})

afterEach(async () => {
  await sim?.close()
  sim = undefined
  await s3.close()
})

async function startS3Sim(): Promise<PanelSim> {
  return startPanelSim({
    fixture: sampleFixture(),
    backupDriver: 's3',
    partSize: 5 * 1024 * 1024,
    s3: { endpoint: s3.endpoint, bucket: s3.bucket },
    log: () => undefined,
  })
}

describe('S3 backups against s3rver (C.5)', () => {
  it('starts a multipart upload, takes presigned part uploads, completes them and serves the restore URL', async () => {
    sim = await startS3Sim()
    const backup = sim.addBackup(SERVER, {})
    const archive = Buffer.alloc(6 * 1024 * 1024 + 123, 7)

    const { parts, part_size: partSize } = (
      await wings(sim, 'GET', `/backups/${backup.uuid}?size=${archive.length}`)
    ).json as {
      parts: string[]
      part_size: number
    }
    const etags: { etag: string; part_number: number }[] = []
    for (const [i, url] of parts.entries()) {
      const res = await fetch(url, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/x-gzip' },
        body: archive.subarray(i * partSize, (i + 1) * partSize),
      })
      expect(res.status).toBe(200)
      etags.push({ etag: res.headers.get('etag')!, part_number: i + 1 })
    }
    const reported = await wings(sim, 'POST', `/backups/${backup.uuid}`, {
      checksum: 'abc',
      checksum_type: 'sha1',
      size: archive.length,
      successful: true,
      parts: etags,
    })
    const download = await fetch(await sim.backupObjectUrl(backup.uuid))

    expect(parts).toHaveLength(2)
    expect(reported.status).toBe(204)
    expect(sim.backup(backup.uuid).isSuccessful).toBe(true)
    expect(download.status).toBe(200)
    expect(Buffer.from(await download.arrayBuffer()).equals(archive)).toBe(true)
  })

  it('takes a failure report although s3rver cannot abort the upload', async () => {
    sim = await startS3Sim()
    const backup = sim.addBackup(SERVER, {})
    await wings(sim, 'GET', `/backups/${backup.uuid}?size=10`)

    const reported = await wings(sim, 'POST', `/backups/${backup.uuid}`, { successful: false })

    expect(reported.status).toBe(204)
    expect(sim.backup(backup.uuid)).toMatchObject({ isSuccessful: false, bytes: 0 })
    expect(sim.backup(backup.uuid).completedAt).not.toBeNull()
  })

  it('answers 500 and saves nothing when S3 refuses the completion', async () => {
    sim = await startS3Sim()
    const broken = sim.addBackup(SERVER, { uploadId: 'no-such-upload' })

    const refused = await wings(sim, 'POST', `/backups/${broken.uuid}`, {
      checksum: 'a',
      checksum_type: 'sha1',
      size: 1,
      successful: true,
      parts: [{ etag: '"x"', part_number: 1 }],
    })

    expect(refused.status).toBe(500)
    expect(sim.backup(broken.uuid)).toMatchObject({ isSuccessful: false, completedAt: null })
  })
})

// s3rver has no ListParts and no AbortMultipartUpload: those two calls are checked against a
// loopback server that records what the simulator sends.
describe('S3 calls s3rver cannot answer', () => {
  let fake: Server
  let requests: { method: string; url: string; body: string; authorization: string }[]

  beforeEach(async () => {
    requests = []
    fake = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        requests.push({
          method: req.method!,
          url: req.url!,
          body,
          authorization: req.headers.authorization ?? '',
        })
        res.writeHead(200, { 'Content-Type': 'application/xml' })
        if (req.url!.includes('uploads'))
          res.end(
            '<InitiateMultipartUploadResult><UploadId>up&amp;1</UploadId></InitiateMultipartUploadResult>',
          )
        else if (req.method === 'GET')
          res.end(
            '<ListPartsResult><Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part></ListPartsResult>',
          )
        else res.end('<CompleteMultipartUploadResult/>')
      })
    })
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve))
  })

  afterEach(async () => {
    fake.closeAllConnections()
    await new Promise<void>((resolve) => fake.close(() => resolve()))
  })

  it('completes with ListParts when parts is null, and aborts on a failure report', async () => {
    const { port } = fake.address() as AddressInfo
    sim = await startPanelSim({
      fixture: sampleFixture(),
      backupDriver: 's3',
      s3: { endpoint: `http://127.0.0.1:${port}`, bucket: 'b' },
    })
    const done = sim.addBackup(SERVER, {})
    const failed = sim.addBackup(SERVER, {})

    await wings(sim, 'GET', `/backups/${done.uuid}?size=10`)
    const completed = await wings(sim, 'POST', `/backups/${done.uuid}`, {
      checksum: 'a',
      checksum_type: 'sha1',
      size: 10,
      successful: true,
      parts: null,
    })
    await wings(sim, 'GET', `/backups/${failed.uuid}?size=10`)
    const aborted = await wings(sim, 'POST', `/backups/${failed.uuid}`, { successful: false })

    const key = (b: { uuid: string }) => `/b/${SERVER}/${b.uuid}.tar.gz`
    expect(completed.status).toBe(204)
    expect(aborted.status).toBe(204)
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `POST ${key(done)}?uploads=`,
      `GET ${key(done)}?uploadId=up%261&x-id=ListParts`,
      `POST ${key(done)}?uploadId=up%261`,
      `POST ${key(failed)}?uploads=`,
      `DELETE ${key(failed)}?uploadId=up%261&x-id=AbortMultipartUpload`,
    ])
    const completion = requests[2]!.body.replace(/&quot;/g, '"')
    expect(
      [...completion.matchAll(/<ETag>([^<]*)<\/ETag><PartNumber>(\d+)</g)].map((m) => [m[1], m[2]]),
    ).toEqual([
      ['"a"', '1'],
      ['"b"', '2'],
    ])
    expect(requests[0]!.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]*\bhost\b[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    )
  })
})
