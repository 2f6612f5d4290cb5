import { createHmac, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

import type { ActivityEvent } from '@node/activity'
import { Jail, type VolumeReserve } from '@node/filesystem-jail'
import { BoundedTokenDenyList, JwtTokenVerifier } from '@node/jwt'
import { Server } from '@node/server-state'
import { buildServerConfiguration } from '@node/server-state/testing'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { createTempDir, type TempDir } from '@node/testkit'

import { createHttpApp } from '../../src/http/app.js'
import { downloadUploadRoutes } from '../../src/http/routes/download-upload.routes.js'
import { filesRoutes, type FileArchives } from '../../src/http/routes/files.routes.js'
import { RemoteDownloads } from '../../src/files/pull/remote-downloads.js'

export const NODE_TOKEN = 'node-secret-token-0123456789abcdef'
export const SERVER_UUID = '0b3f6f5c-8a8e-4a56-9b1e-3c1f4f9e2a01'
export const USER_UUID = '5f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b'

export interface HarnessOptions {
  readonly denylist?: readonly string[]
  readonly diskLimitBytes?: number
  readonly uploadLimitMiB?: number
  readonly disableRemoteDownload?: boolean
  readonly allowInternalDownloads?: boolean | ((address: string) => boolean)
  readonly archives?: FileArchives
  /** `system.disk_check_interval` in ms; 0 (default) disables usage walks. */
  readonly diskCheckIntervalMs?: number
  /** `system.user`: owner of everything written. */
  readonly owner?: { readonly uid: number; readonly gid: number }
  /** The node's free-space reserve (`system.disk_reserve`). */
  readonly reserve?: VolumeReserve
}

/**
 * A real daemon app (file routes, signed routes) on 127.0.0.1 over a real jail in a temp dir:
 * `root` is the server's root, `outside` a sibling directory that no request may touch.
 */
export class FilesHarness {
  readonly temp: TempDir
  readonly root: string
  readonly outside: string
  readonly jail: Jail
  readonly server: Server
  readonly uploads: ActivityEvent[]
  readonly downloads: RemoteDownloads
  readonly #http: HttpServer
  readonly base: string

  private constructor(init: {
    temp: TempDir
    jail: Jail
    server: Server
    http: HttpServer
    downloads: RemoteDownloads
    uploads: ActivityEvent[]
  }) {
    this.temp = init.temp
    this.root = path.join(init.temp.path, 'root')
    this.outside = path.join(init.temp.path, 'outside')
    this.jail = init.jail
    this.server = init.server
    this.#http = init.http
    this.downloads = init.downloads
    this.uploads = init.uploads
    this.base = `http://127.0.0.1:${(init.http.address() as AddressInfo).port}`
  }

  static async start(options: HarnessOptions = {}): Promise<FilesHarness> {
    const temp = await createTempDir('files-routes-')
    const root = path.join(temp.path, 'root')
    const outside = path.join(temp.path, 'outside')
    await mkdir(root)
    await mkdir(outside)
    const jail = await Jail.open(root, {
      denylist: options.denylist ?? [],
      diskLimitBytes: options.diskLimitBytes ?? 0,
      diskCheckIntervalMs: options.diskCheckIntervalMs ?? 0,
      ...(options.owner ? { owner: options.owner } : {}),
      ...(options.reserve ? { reserve: options.reserve } : {}),
    })
    const server = new Server({ configuration: buildServerConfiguration(SERVER_UUID) })
    const logger = new MemoryLogger()
    const downloads = new RemoteDownloads({
      logger,
      allowInternalAddresses: options.allowInternalDownloads ?? false,
      maxRedirects: 3,
    })
    const get = (uuid: string): Server | undefined => (uuid === SERVER_UUID ? server : undefined)
    const uploads: ActivityEvent[] = []
    const app = createHttpApp({
      logger,
      settings: () => ({
        token: NODE_TOKEN,
        remote: 'https://panel.example.com',
        allowedOrigins: [],
        allowPrivateNetwork: false,
      }),
      trustedProxies: [],
      publicRoutes: [
        downloadUploadRoutes<Server>({
          get,
          jailOf: () => jail,
          tokens: new JwtTokenVerifier({
            nodeToken: () => NODE_TOKEN,
            denyList: new BoundedTokenDenyList({ bootedAt: 0 }),
          }),
          uploadLimitMiB: () => options.uploadLimitMiB ?? 1,
          activity: { record: (event) => uploads.push(event) },
          logger,
        }),
      ],
      routes: [
        filesRoutes<Server>({
          get,
          jailOf: () => jail,
          disableRemoteDownload: options.disableRemoteDownload ?? false,
          downloads,
          search: () => ({ maxDepth: 8, excludedDirectories: ['node_modules'] }),
          logger,
          ...(options.archives ? { archives: options.archives } : {}),
        }),
      ],
    })
    const http = createServer(app)
    http.listen(0, '127.0.0.1')
    await once(http, 'listening')
    return new FilesHarness({ temp, jail, server, http, downloads, uploads })
  }

  /** A request to `/api/servers/<uuid><route>` with the node token. */
  call(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return fetch(`${this.base}/api/servers/${SERVER_UUID}${route}`, {
      method,
      headers: { Authorization: `Bearer ${NODE_TOKEN}`, ...headers },
      body:
        body === undefined
          ? undefined
          : typeof body === 'string' || body instanceof Uint8Array
            ? body
            : JSON.stringify(body),
    })
  }

  /** A Panel-signed one-time token (HS256 with the node token, scope of its purpose). */
  mint(purpose: 'file-download' | 'file-upload', claims: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000)
    const payload = {
      iss: 'https://panel.example.com',
      aud: ['https://node1.example.com:8080'],
      jti: randomBytes(16).toString('hex'),
      iat: now,
      nbf: now - 300,
      exp: now + 900,
      server_uuid: SERVER_UUID,
      user_uuid: USER_UUID,
      user_id: 1,
      unique_id: randomBytes(8).toString('hex'),
      scope: purpose,
      ...claims,
    }
    const encode = (value: unknown): string =>
      Buffer.from(JSON.stringify(value)).toString('base64url')
    const unsigned = `${encode({ typ: 'JWT', alg: 'HS256' })}.${encode(payload)}`
    const signature = createHmac('sha256', NODE_TOKEN).update(unsigned).digest('base64url')
    return `${unsigned}.${signature}`
  }

  async close(): Promise<void> {
    this.#http.closeAllConnections()
    this.#http.close()
    await once(this.#http, 'close')
    await this.jail.close()
    await this.temp[Symbol.asyncDispose]()
  }
}

/** Every file below `dir` with its content, for "nothing was lost or changed" assertions. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name)
      const key = path.relative(dir, full)
      if (entry.isDirectory()) {
        out[`${key}/`] = 'dir'
        await walk(full)
      } else if (entry.isSymbolicLink()) {
        out[key] = 'symlink'
      } else {
        const info = await stat(full)
        out[key] = `${info.mode.toString(8)}:${(await readFile(full)).toString('base64')}`
      }
    }
  }
  await walk(dir)
  return out
}
