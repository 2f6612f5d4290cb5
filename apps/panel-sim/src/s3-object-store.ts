import { createHash, createHmac } from 'node:crypto'

import type { BackupObjectStore, UploadedPart } from './backup-object-store.js'

export interface S3ObjectStoreOptions {
  /** Path-style endpoint, e.g. `http://127.0.0.1:4569` (s3rver) or `https://s3.eu-central-1.amazonaws.com`. */
  readonly endpoint: string
  readonly bucket: string
  /** Default `us-east-1`. */
  readonly region?: string
  /** Default `S3RVER` (s3rver's built-in credentials). */
  readonly accessKeyId?: string
  readonly secretAccessKey?: string
  /** `BACKUP_PRESIGNED_URL_LIFESPAN` in minutes for part URLs; default 60. */
  readonly presignedUrlLifespanMinutes?: number
  /** Optional `x-amz-storage-class` on new uploads. */
  readonly storageClass?: string
}

/**
 * The Panel's S3 calls for backups on a real S3-compatible endpoint, signed with AWS SigV4
 * (header auth for its own calls, presigned query URLs for the daemon's part uploads and downloads).
 */
export class S3ObjectStore implements BackupObjectStore {
  readonly #endpoint: URL
  readonly #bucket: string
  readonly #region: string
  readonly #accessKeyId: string
  readonly #secret: string
  readonly #lifespanSeconds: number
  readonly #storageClass: string | undefined

  constructor(options: S3ObjectStoreOptions) {
    this.#endpoint = new URL(options.endpoint)
    this.#bucket = options.bucket
    this.#region = options.region ?? 'us-east-1'
    this.#accessKeyId = options.accessKeyId ?? 'S3RVER'
    this.#secret = options.secretAccessKey ?? 'S3RVER'
    this.#lifespanSeconds = (options.presignedUrlLifespanMinutes ?? 60) * 60
    this.#storageClass = options.storageClass
  }

  async createMultipartUpload(key: string): Promise<string> {
    const headers: Record<string, string> = { 'content-type': 'application/x-gzip' }
    if (this.#storageClass) headers['x-amz-storage-class'] = this.#storageClass
    const xml = await this.#call('POST', key, { uploads: '' }, headers)
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(xml)?.[1]
    if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId')
    return unescapeXml(uploadId)
  }

  partUrls(key: string, uploadId: string, count: number): string[] {
    return Array.from({ length: count }, (_, i) =>
      this.#presign('PUT', key, { partNumber: String(i + 1), uploadId }, this.#lifespanSeconds),
    )
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly UploadedPart[] | null,
  ): Promise<void> {
    const list = parts ?? (await this.#listParts(key, uploadId))
    const body =
      '<CompleteMultipartUpload>' +
      [...list]
        .sort((a, b) => a.partNumber - b.partNumber)
        .map(
          (p) =>
            `<Part><ETag>${escapeXml(p.etag)}</ETag><PartNumber>${p.partNumber}</PartNumber></Part>`,
        )
        .join('') +
      '</CompleteMultipartUpload>'
    const xml = await this.#call(
      'POST',
      key,
      { uploadId },
      { 'content-type': 'application/xml' },
      body,
    )
    // S3 can report a failed completion inside a 200 answer.
    if (/<Error>/.test(xml)) throw new Error(`CompleteMultipartUpload failed: ${xml}`)
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    await this.#call('DELETE', key, { uploadId })
  }

  downloadUrl(key: string): string {
    return this.#presign('GET', key, {}, 300)
  }

  async #listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    const xml = await this.#call('GET', key, { uploadId })
    return [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
      partNumber: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1]!)?.[1]),
      etag: unescapeXml(/<ETag>([^<]*)<\/ETag>/.exec(m[1]!)?.[1] ?? ''),
    }))
  }

  async #call(
    method: string,
    key: string,
    query: Record<string, string>,
    extraHeaders: Record<string, string> = {},
    body = '',
  ): Promise<string> {
    const now = new Date()
    const payloadHash = sha256Hex(body)
    const url = this.#url(key, query)
    const headers: Record<string, string> = {
      host: url.host,
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': amzDate(now),
      ...extraHeaders,
    }
    const signed = Object.keys(headers).sort()
    const canonical = [
      method,
      canonicalPath(url),
      canonicalQuery(query),
      signed.map((h) => `${h}:${headers[h]!.trim()}\n`).join(''),
      signed.join(';'),
      payloadHash,
    ].join('\n')
    const signature = this.#signature(now, canonical)
    const { host: _host, ...sent } = headers
    const response = await fetch(url, {
      method,
      headers: {
        ...sent,
        authorization: `AWS4-HMAC-SHA256 Credential=${this.#accessKeyId}/${this.#scope(now)}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
      },
      body: method === 'GET' || method === 'DELETE' ? undefined : body,
      signal: AbortSignal.timeout(30_000),
    })
    const text = await response.text()
    if (!response.ok)
      throw new Error(
        `S3 ${method} ${url.pathname} answered ${response.status}: ${text.slice(0, 500)}`,
      )
    return text
  }

  #presign(
    method: string,
    key: string,
    query: Record<string, string>,
    expiresSeconds: number,
  ): string {
    const now = new Date()
    const url = this.#url(key, {})
    const all: Record<string, string> = {
      ...query,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${this.#accessKeyId}/${this.#scope(now)}`,
      'X-Amz-Date': amzDate(now),
      'X-Amz-Expires': String(expiresSeconds),
      'X-Amz-SignedHeaders': 'host',
    }
    const canonical = [
      method,
      canonicalPath(url),
      canonicalQuery(all),
      `host:${url.host}\n`,
      'host',
      'UNSIGNED-PAYLOAD',
    ].join('\n')
    return `${url.origin}${canonicalPath(url)}?${canonicalQuery({ ...all, 'X-Amz-Signature': this.#signature(now, canonical) })}`
  }

  #url(key: string, query: Record<string, string>): URL {
    const base = this.#endpoint.href.replace(/\/+$/, '')
    const url = new URL(`${base}/${this.#bucket}/${key.split('/').map(encodeRfc3986).join('/')}`)
    const q = canonicalQuery(query)
    if (q !== '') url.search = q
    return url
  }

  #scope(now: Date): string {
    return `${amzDate(now).slice(0, 8)}/${this.#region}/s3/aws4_request`
  }

  #signature(now: Date, canonicalRequest: string): string {
    const stringToSign = [
      'AWS4-HMAC-SHA256',
      amzDate(now),
      this.#scope(now),
      sha256Hex(canonicalRequest),
    ].join('\n')
    let key: Buffer = hmac(`AWS4${this.#secret}`, amzDate(now).slice(0, 8))
    for (const part of [this.#region, 's3', 'aws4_request']) key = hmac(key, part)
    return createHmac('sha256', key).update(stringToSign).digest('hex')
  }
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex')
const amzDate = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')

function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

function canonicalPath(url: URL): string {
  return url.pathname
}

function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((k) => `${encodeRfc3986(k)}=${encodeRfc3986(query[k]!)}`)
    .join('&')
}

function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

function unescapeXml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}
