import { mkdtemp, readdir, rm } from 'node:fs/promises'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

import type { BackupStoreContractSubject } from '@node/backup/testing'
import { HttpPanelGateway } from '@node/panel-client'
import { sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'
import type { PanelGateway } from '@node/server-state'
import { startS3rver, type RunningS3rver } from '@node/testkit'

import { S3BackupStore, type S3BackupStoreOptions } from '@node/storage-s3'

export const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const TOKEN_ID = 'Q0mVwY8pXb3Kc7Rt'
const TOKEN = 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2'
export const PART_SIZE = 5 * 1024 * 1024

/** What the proxy does with one part upload: pass it on, or answer it itself. */
export type PartFault = 'pass' | { status: number } | 'reset'

export interface PartRequest {
  readonly partNumber: number
  readonly contentLength: number
  readonly contentType: string
}

/**
 * A loopback proxy in front of s3rver: every request is passed on with its Host header (the
 * presigned signature covers it), and part uploads can be answered with a fault instead.
 */
export class FaultyS3Proxy {
  readonly parts: PartRequest[] = []
  fault: (part: PartRequest, attempt: number) => PartFault = () => 'pass'
  /** Called on every part upload before it is passed on (e.g. to look at the spool). */
  onPart: (part: PartRequest) => Promise<void> = () => Promise.resolve()
  readonly #server: http.Server
  readonly #target: URL
  readonly #attempts = new Map<number, number>()

  private constructor(target: string) {
    this.#target = new URL(target)
    this.#server = http.createServer((req, res) => void this.#handle(req, res))
  }

  static async start(target: string): Promise<FaultyS3Proxy> {
    const proxy = new FaultyS3Proxy(target)
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://proxy')
    const partNumber = Number(url.searchParams.get('partNumber'))
    if (req.method === 'PUT' && partNumber > 0) {
      const part = {
        partNumber,
        contentLength: Number(req.headers['content-length']),
        contentType: String(req.headers['content-type']),
      }
      this.parts.push(part)
      const attempt = (this.#attempts.get(partNumber) ?? 0) + 1
      this.#attempts.set(partNumber, attempt)
      await this.onPart(part)
      const fault = this.fault(part, attempt)
      if (fault === 'reset') {
        // Read a little of the body, then drop the connection without an answer.
        req.once('data', () => req.socket.destroy())
        return
      }
      if (fault !== 'pass') {
        req.resume()
        res.writeHead(fault.status, { 'Content-Type': 'application/xml' })
        res.end(`<Error><Code>Injected${fault.status}</Code><Message>injected</Message></Error>`)
        return
      }
    }
    const upstream = http.request(
      {
        host: this.#target.hostname,
        port: this.#target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    // A client that gives up must not leave s3rver waiting for the rest of a body.
    res.on('close', () => upstream.destroy())
    req.pipe(upstream)
  }
}

/** s3rver, the proxy in front of it, panel-sim playing the Panel's S3 side, and its gateway. */
export class S3Harness {
  readonly s3: RunningS3rver
  readonly proxy: FaultyS3Proxy
  readonly sim: PanelSim
  readonly panel: HttpPanelGateway
  readonly spool: string

  private constructor(init: {
    s3: RunningS3rver
    proxy: FaultyS3Proxy
    sim: PanelSim
    panel: HttpPanelGateway
    spool: string
  }) {
    this.s3 = init.s3
    this.proxy = init.proxy
    this.sim = init.sim
    this.panel = init.panel
    this.spool = init.spool
  }

  static async start(): Promise<S3Harness> {
    const s3 = await startS3rver()
    const proxy = await FaultyS3Proxy.start(s3.endpoint)
    const sim = await startPanelSim({
      fixture: sampleFixture(),
      backupDriver: 's3',
      partSize: PART_SIZE,
      s3: { endpoint: proxy.url, bucket: s3.bucket },
      log: () => undefined,
    })
    const panel = new HttpPanelGateway({
      baseUrl: sim.url,
      tokenId: TOKEN_ID,
      token: TOKEN,
      timeoutMs: 10_000,
      userAgentVersion: '1.11.11',
      retry: { initialIntervalMs: 5, maxIntervalMs: 20, maxElapsedMs: 500 },
    })
    const spool = await mkdtemp(path.join(tmpdir(), 'storage-s3-spool-'))
    return new S3Harness({ s3, proxy, sim, panel, spool })
  }

  /** The Panel's gateway, creating the backup row first as the Panel does before it asks. */
  get panelWithRows(): Pick<PanelGateway, 'getBackupUploadParts'> {
    return {
      getBackupUploadParts: (backupUuid, size, signal) => {
        if (!this.sim.backups().some((b) => b.uuid === backupUuid)) {
          this.sim.addBackup(SERVER, { uuid: backupUuid, disk: 's3' })
        }
        return this.panel.getBackupUploadParts(backupUuid, size, signal)
      },
    }
  }

  store(options: Partial<S3BackupStoreOptions> = {}): S3BackupStore {
    return new S3BackupStore({
      panel: this.panelWithRows,
      spoolDirectory: this.spool,
      retry: { initialDelayMs: 10, maxElapsedMs: 1_000 },
      ...options,
    })
  }

  /** The object S3 holds for the backup, or undefined. */
  async object(backupUuid: string): Promise<Buffer | undefined> {
    if (!this.sim.backups().some((b) => b.uuid === backupUuid)) return undefined
    const response = await fetch(await this.sim.backupObjectUrl(backupUuid))
    if (response.status === 404) return undefined
    if (response.status !== 200) throw new Error(`GetObject answered ${response.status}`)
    return Buffer.from(await response.arrayBuffer())
  }

  subject(options: Partial<S3BackupStoreOptions> = {}): BackupStoreContractSubject {
    return {
      store: this.store(options),
      reopen: () => Promise.resolve(this.store(options)),
      readBack: async (backupUuid, stored) => {
        if (stored) {
          await this.panel.setBackupStatus(backupUuid, {
            checksum: stored.sha1,
            checksumType: 'sha1',
            size: stored.sizeBytes,
            successful: true,
            parts: stored.parts,
          })
        }
        return this.object(backupUuid)
      },
      leftovers: () => readdir(this.spool),
      keepsArchives: false,
      close: () => this.close(),
    }
  }

  async close(): Promise<void> {
    this.panel.close()
    await this.sim.close()
    await this.proxy.close()
    await this.s3.close()
    await rm(this.spool, { recursive: true, force: true })
  }
}
