import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { get } from 'node:https'
import path from 'node:path'
import type { TLSSocket } from 'node:tls'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { sampleFixture } from '@node/panel-sim'
import { createTempDir, type TempDir } from '@node/testkit'

import { startTestNode, type TestNode } from './support/test-node.js'

// api.ssl.enabled: the API is served over HTTPS with the configured certificate and key.

let certs: TempDir
let node: TestNode
let ca: Buffer

beforeAll(async () => {
  certs = await createTempDir('e2e-tls-')
  const cert = path.join(certs.path, 'cert.pem')
  const key = path.join(certs.path, 'key.pem')
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ])
  ca = await readFile(cert)
  node = await startTestNode({
    fixture: sampleFixture({ environment: 'process' }),
    tls: { cert, key, ca },
  })
}, 60_000)

afterAll(async () => {
  await node?.[Symbol.asyncDispose]()
  await certs?.[Symbol.asyncDispose]()
})

function getJson(
  url: string,
  token: string,
): Promise<{ status: number; body: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const protocol = (res.socket as TLSSocket).getProtocol() ?? ''
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol }))
    }).on('error', reject)
  })
}

describe('TLS', () => {
  it('serves the API over HTTPS with the configured certificate (TLS 1.2 or newer)', async () => {
    expect(node.daemon.url.startsWith('https://')).toBe(true)
    const res = await getJson(`${node.daemon.url}/api/servers`, node.token)
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toHaveLength(1)
    expect(['TLSv1.2', 'TLSv1.3']).toContain(res.protocol)
  })

  it('does not answer plain HTTP on the TLS port', async () => {
    const plain = node.daemon.url.replace('https://', 'http://')
    const outcome = await fetch(`${plain}/api/system`).then(
      (res) => res.status,
      () => 'refused',
    )
    expect(outcome).not.toBe(200)
  })
})
