import path from 'node:path'
import { pipeline } from 'node:stream/promises'

import { Router, type Request, type Response } from 'express'

import { jailFaultOf, jailPathIn, mapLimited, searchFiles, type Jail } from '@node/filesystem-jail'
import { BadRequestError, ConflictError, InvalidError, type Logger } from '@node/shared-kernel'

import {
  FILE_ROUTE_ERRORS,
  isNotFound,
  MAX_FILES_PER_REQUEST,
  parseOctalMode,
  tooManyFiles,
} from '../../files/file-errors.js'
import { contentDisposition } from '../../files/content-disposition.js'
import { listDirectory, listDirectoryPage, type PageRequest } from '../../files/list-directory.js'
import { cheapMime, sniffFile } from '../../files/mime-evidence.js'
import { searchMatchesWire } from '../../files/search-wire.js'
import { toWireStat } from '../../files/wire-stat.js'
import type { RemoteDownloads } from '../../files/pull/remote-downloads.js'
import { pullRoutes } from '../../files/pull/pull.routes.js'
import { sendJson, toGoJson } from '../go-json.js'
import { serverExists, serverOf } from '../middleware/server-exists.js'
import { abortedWhenClientLeaves } from '../request-signal.js'
import {
  asObject,
  optionalString,
  optionalStringArray,
  requiredString,
  type JsonObject,
} from '../parse/fields.js'
import { invalidBody, readJsonBody } from '../parse/json-body.js'

const TAR_GZIP_MIME = 'application/tar+gzip'
const MAX_PER_PAGE = 1000
/** Names of one request acted on at once (delete, rename, chmod): its bounded fan-out. */
const FILE_FAN_OUT = 16
/** `files/search`: the most matches one search answers, and how long it may walk. */
const SEARCH_MAX_RESULTS = 1000
const SEARCH_TIME_MS = 10_000

/** The archive use cases of @node/filesystem-jail (compressFiles, decompressArchive). */
export interface FileArchives {
  compress(
    jail: Jail,
    options: { directory: string; files: string[]; signal?: AbortSignal },
  ): Promise<{ path: string }>
  /** Resolves once every entry is written; what it resolves with is not used. */
  decompress(
    jail: Jail,
    options: { directory: string; file: string; signal?: AbortSignal },
  ): Promise<unknown>
}

/** How far `files/search` looks (`Search.max_recursion_depth`, `Search.blacklisted_dirs`). */
interface SearchSettings {
  readonly maxDepth: number
  readonly excludedDirectories: readonly string[]
}

/** What the file routes need; wired in the composition root. */
export interface FilesApi<S> {
  get(uuid: string): S | undefined
  /** The server's jail (ServerJails.of): quota, deny list and owner (`system.user`) included. */
  jailOf(server: S): Jail
  /** `api.disable_remote_download`, read once when the routes are built (http-api §2.5). */
  readonly disableRemoteDownload: boolean
  /** The node's remote downloads (one registry for every server). */
  readonly downloads: RemoteDownloads
  /** `Search` of config.yml, read per search. */
  readonly search: () => SearchSettings
  /** Without it, compress and decompress answer 404 like any unknown route. */
  readonly archives?: FileArchives
  readonly logger: Logger
}

/** http-api §7: the file endpoints under /api/servers/:server/files. */
export function filesRoutes<S>(api: FilesApi<S>): Router {
  const router = Router()
  const server = Router({ mergeParams: true })
  router.use('/api/servers/:server', serverExists(api.get.bind(api)), server)
  const jailOf = (res: Response): Jail => api.jailOf(serverOf<S>(res))

  server.get('/files/contents', async (req, res) => {
    const file = stripLeadingSlash(queryString(req, 'file'))
    const jail = jailOf(res)
    let readable
    try {
      readable = await jail.openRead(file)
    } catch (err) {
      if (jailFaultOf(err)?.reason === 'fifo')
        throw new BadRequestError(FILE_ROUTE_ERRORS.cannotOpenType)
      throw err
    }
    const { stream, size, stats } = readable
    try {
      const name = path.posix.basename(file)
      const mime = cheapMime(name, stats) ?? (await sniffFile(jail, file))
      res.status(200)
      res.setHeader('X-Mime-Type', mime)
      res.setHeader('Content-Length', String(size))
      if (queryString(req, 'download') !== '') {
        res.setHeader('Content-Disposition', contentDisposition(name))
        res.setHeader('Content-Type', 'application/octet-stream')
      } else {
        res.setHeader('Content-Type', mime)
      }
    } catch (err) {
      stream.destroy()
      throw err
    }
    await pipeline(stream, res)
  })

  server.get('/files/list-directory', async (req, res) => {
    const directory = queryString(req, 'directory') || '/'
    const jail = jailOf(res)
    const paging = pageRequest(req)
    if (paging !== undefined) {
      sendJson(res, 200, await listDirectoryPage(jail, directory, paging))
      return
    }
    await streamArray(res, listDirectory(jail, directory))
  })

  // [pelican] Names below `directory` that match `pattern`; bounded in depth, results and time.
  server.get('/files/search', async (req, res) => {
    const pattern = queryString(req, 'pattern')
    if (Buffer.byteLength(pattern) < 3) throw new BadRequestError(FILE_ROUTE_ERRORS.shortPattern)
    const jail = jailOf(res)
    const result = await searchFiles(jail, {
      directory: queryString(req, 'directory').replace(/\/$/, ''),
      pattern,
      ...api.search(),
      maxResults: SEARCH_MAX_RESULTS,
      signal: AbortSignal.any([abortedWhenClientLeaves(res), AbortSignal.timeout(SEARCH_TIME_MS)]),
    })
    if (!result.complete) {
      api.logger.debug('file search stopped early', { matches: result.matches.length })
    }
    sendJson(res, 200, await searchMatchesWire(jail, result.matches))
  })

  server.put('/files/rename', async (req, res) => {
    const body = asObject(await readJsonBody(req))
    const root = optionalString(body, 'root') ?? ''
    const pairs = renamePairs(body)
    if (pairs.length === 0) throw new InvalidError(FILE_ROUTE_ERRORS.noRenameFiles)
    checkCount(pairs.length)
    // Every path is parsed before anything moves: one that climbs out refuses the request.
    const moves = pairs.map(({ from, to }) => ({
      source: jailPathIn(root, from),
      target: jailPathIn(root, to),
    }))
    const jail = jailOf(res)
    await mapLimited(moves, FILE_FAN_OUT, async ({ source, target }) => {
      try {
        await jail.rename(source, target)
      } catch (err) {
        // A missing source is skipped; a missing destination parent is created by the jail.
        if (isNotFound(err) && !(await jail.exists(source))) return
        throw err
      }
    })
    res.status(204).end()
  })

  server.post('/files/copy', async (req, res) => {
    const body = asObject(await readJsonBody(req))
    const location = requiredString(body, 'location')
    await jailOf(res).copy(location)
    res.status(204).end()
  })

  server.post('/files/write', async (req, res) => {
    const file = '/' + stripLeadingSlash(queryString(req, 'file'))
    const declared = req.headers['content-length']
    if (declared === undefined) throw new BadRequestError(FILE_ROUTE_ERRORS.missingContentLength)
    const size = Number(declared)
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new BadRequestError(FILE_ROUTE_ERRORS.missingContentLength)
    }
    let writer
    try {
      writer = await jailOf(res).openWrite(file, { size })
    } catch (err) {
      if (jailFaultOf(err)?.reason === 'is_directory') {
        throw new BadRequestError(FILE_ROUTE_ERRORS.writeOverDirectory)
      }
      throw err
    }
    await writer.pipeFrom(req)
    res.status(204).end()
  })

  server.post('/files/create-directory', async (req, res) => {
    const body = asObject(await readJsonBody(req))
    const name = requiredString(body, 'name')
    const parent = optionalString(body, 'path') ?? '/'
    await jailOf(res).mkdirp(jailPathIn(parent, name))
    res.status(204).end()
  })

  server.post('/files/delete', async (req, res) => {
    const body = asObject(await readJsonBody(req))
    const root = optionalString(body, 'root') ?? ''
    const files = optionalStringArray(body, 'files') ?? []
    if (files.length === 0) throw new InvalidError(FILE_ROUTE_ERRORS.noDeleteFiles)
    checkCount(files.length)
    const paths = files.map((file) => jailPathIn(root, file))
    const jail = jailOf(res)
    await mapLimited(paths, FILE_FAN_OUT, (file) => jail.remove(file))
    res.status(204).end()
  })

  server.post('/files/chmod', async (req, res) => {
    const body = asObject(await readJsonBody(req))
    const root = optionalString(body, 'root') ?? ''
    const requests = chmodRequests(body)
    if (requests.length === 0) throw new InvalidError(FILE_ROUTE_ERRORS.noChmodFiles)
    checkCount(requests.length)
    const modes = requests.map(({ file, mode }) => {
      const bits = parseOctalMode(mode)
      if (bits === undefined) throw new BadRequestError(FILE_ROUTE_ERRORS.invalidMode)
      return { file: jailPathIn(root, file), bits }
    })
    const jail = jailOf(res)
    await mapLimited(modes, FILE_FAN_OUT, async ({ file, bits }) => {
      try {
        await jail.chmod(file, bits)
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
    })
    res.status(204).end()
  })

  const archives = api.archives
  if (archives !== undefined) {
    server.post('/files/compress', async (req, res) => {
      const body = asObject(await readJsonBody(req))
      const root = optionalString(body, 'root') ?? ''
      const files = optionalStringArray(body, 'files') ?? []
      if (files.length === 0) throw new InvalidError(FILE_ROUTE_ERRORS.noCompressFiles)
      checkCount(files.length)
      const jail = jailOf(res)
      await jail.diskUsage()
      if (jail.quota.available() <= 0) throw new ConflictError(FILE_ROUTE_ERRORS.compressNoSpace)
      const signal = abortOnClose(req, res)
      const { path: archive } = await archives.compress(jail, { directory: root, files, signal })
      const stats = await jail.stat(archive)
      sendJson(res, 200, toWireStat(path.posix.basename(archive), stats, TAR_GZIP_MIME))
    })

    server.post('/files/decompress', async (req, res) => {
      const body = asObject(await readJsonBody(req))
      const root = optionalString(body, 'root') ?? ''
      const file = requiredString(body, 'file')
      const jail = jailOf(res)
      const signal = abortOnClose(req, res)
      await archives.decompress(jail, { directory: root, file: jailPathIn(root, file), signal })
      res.status(204).end()
    })
  }

  server.use(pullRoutes({ ...api, jailOf }))
  return router
}

/** The first value of a query parameter, '' when absent (Go's `c.Query`). */
export function queryString(req: Request, key: string): string {
  const value = req.query[key]
  const first = Array.isArray(value) ? value[0] : value
  return typeof first === 'string' ? first : ''
}

function stripLeadingSlash(file: string): string {
  return file.replace(/^\/+/, '')
}

/** The opt-in paged form: present when `page` or `per_page` is given; bad values are a 400. */
function pageRequest(req: Request): PageRequest | undefined {
  const pageText = queryString(req, 'page')
  const perPageText = queryString(req, 'per_page')
  if (pageText === '' && perPageText === '') return undefined
  const page = pageText === '' ? 1 : strictInteger(pageText)
  const perPage = perPageText === '' ? 50 : strictInteger(perPageText)
  if (page === undefined || page < 1 || perPage === undefined || perPage < 1) {
    throw new BadRequestError('The page and per_page parameters must be positive integers.')
  }
  return { page, perPage: Math.min(perPage, MAX_PER_PAGE) }
}

function strictInteger(text: string): number | undefined {
  if (!/^\d{1,9}$/.test(text)) return undefined
  return Number(text)
}

/** The per-request cap on names (MAX_FILES_PER_REQUEST), as the 422 of docs/errors.md. */
function checkCount(count: number): void {
  if (count > MAX_FILES_PER_REQUEST) {
    throw new InvalidError(tooManyFiles(MAX_FILES_PER_REQUEST))
  }
}

function renamePairs(body: JsonObject): { from: string; to: string }[] {
  const files = body['files']
  if (files === undefined || files === null) return []
  if (!Array.isArray(files)) throw invalidBody()
  return files.map((item) => {
    const pair = asObject(item)
    return { from: optionalString(pair, 'from') ?? '', to: optionalString(pair, 'to') ?? '' }
  })
}

function chmodRequests(body: JsonObject): { file: string; mode: string }[] {
  const files = body['files']
  if (files === undefined || files === null) return []
  if (!Array.isArray(files)) throw invalidBody()
  return files.map((item) => {
    const entry = asObject(item)
    return { file: optionalString(entry, 'file') ?? '', mode: optionalString(entry, 'mode') ?? '' }
  })
}

/** Aborts when the client goes away before the response is finished. */
function abortOnClose(req: Request, res: Response): AbortSignal {
  const controller = new AbortController()
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client went away'))
  })
  req.on('error', () => controller.abort(new Error('request failed')))
  return controller.signal
}

/**
 * Writes `[...]` a step at a time, waiting for the socket to drain. The first step is read
 * before the status goes out, so a missing directory is still an error envelope.
 */
async function streamArray(res: Response, steps: AsyncGenerator<unknown[]>): Promise<void> {
  const first = await steps.next()
  res.status(200).type('application/json; charset=utf-8')
  let separator = ''
  const write = async (items: unknown[]): Promise<void> => {
    if (items.length === 0) return
    const chunk = separator + items.map((item) => toGoJson(item)).join(',')
    separator = ','
    if (!res.write(chunk)) await drained(res)
  }
  res.write('[')
  try {
    if (first.done !== true) await write(first.value)
    for await (const items of steps) {
      if (res.destroyed) return
      await write(items)
    }
  } finally {
    await steps.return(undefined)
  }
  res.end(']')
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}
