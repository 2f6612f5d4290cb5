import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { fetchNodeConfiguration, HttpPanelGateway, PanelCallError } from '../src/index.js'

let directory: string
let server: https.Server
let url: string

beforeAll(async () => {
  // A throw-away self-signed certificate for 127.0.0.1, made by the system's openssl.
  directory = await mkdtemp(path.join(tmpdir(), 'panel-client-tls-'))
  const key = path.join(directory, 'key.pem')
  const cert = path.join(directory, 'cert.pem')
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ])
  server = https.createServer(
    { key: await readFile(key), cert: await readFile(cert) },
    (req, res) => {
      const body = req.url?.includes('/application/') ? '{"debug":false}' : ''
      res.writeHead(body === '' ? 204 : 200, { 'Content-Type': 'application/json' }).end(body)
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await rm(directory, { recursive: true, force: true })
})

function gateway(ignoreCertificateErrors: boolean): HttpPanelGateway {
  return new HttpPanelGateway({
    baseUrl: url,
    tokenId: 'Q0mVwY8pXb3Kc7Rt',
    token: 'secret',
    timeoutMs: 5_000,
    userAgentVersion: '1.11.11',
    ignoreCertificateErrors,
    retry: { initialIntervalMs: 5, maxIntervalMs: 10, maxElapsedMs: 50 },
  })
}

describe('TLS to the Panel', () => {
  it('refuses a certificate the system does not trust', async () => {
    const panel = gateway(false)

    const failure = await panel.resetServerStates().catch((err: unknown) => err)
    panel.close()

    expect(failure).toBeInstanceOf(PanelCallError)
    expect((failure as Error).message).toMatch(/self[- ]signed certificate/)
  })

  it('accepts any certificate with ignoreCertificateErrors', async () => {
    const panel = gateway(true)

    await expect(panel.resetServerStates()).resolves.toBeUndefined()
    panel.close()
  })

  it('lets wings configure accept any certificate when asked', async () => {
    const options = { panelUrl: url, apiKey: 'ptla_key', nodeId: 1 }

    await expect(fetchNodeConfiguration(options)).rejects.toThrow(/self[- ]signed certificate/)
    await expect(
      fetchNodeConfiguration({ ...options, ignoreCertificateErrors: true }),
    ).resolves.toEqual({ debug: false })
  })
})
