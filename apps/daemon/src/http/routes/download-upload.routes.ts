import path from 'node:path'
import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import busboy, { type Busboy, type FileInfo } from 'busboy'
import { Router, type Request } from 'express'

import type { ActivityRecorder } from '@node/activity'
import {
  isPlainName,
  jailFaultOf,
  jailPathIn,
  parseJailPath,
  type Jail,
  type JailWriteStream,
} from '@node/filesystem-jail'
import {
  BadRequestError,
  NotFoundError,
  TOKEN_ERROR_MESSAGES,
  type Logger,
  type TokenVerifier,
} from '@node/shared-kernel'

import { contentDisposition } from '../../files/content-disposition.js'
import {
  FILE_ROUTE_ERRORS,
  fileNotFound,
  MAX_UPLOAD_FILES,
  tooManyFiles,
} from '../../files/file-errors.js'
import { queryString } from './files.routes.js'

const MIB = 1024 * 1024
const FILE_MODE = 0o644

/** What the signed download and upload routes need; wired in the composition root. */
export interface DownloadUploadApi<S> {
  get(uuid: string): S | undefined
  jailOf(server: S): Jail
  readonly tokens: TokenVerifier
  /** `api.upload_limit` in MiB, read on every upload. */
  uploadLimitMiB(): number
  /** Takes `server:file.uploaded`, once per file written (http-api §10.3). */
  readonly activity?: ActivityRecorder
  readonly logger: Logger
}

/** http-api §10.2 and §10.3: public routes, the one-time token in `?token=` is the credential. */
export function downloadUploadRoutes<S>(api: DownloadUploadApi<S>): Router {
  const router = Router()
  const hasServer = (uuid: string): boolean => api.get(uuid) !== undefined
  const serverOf = (uuid: string): S => {
    const server = api.get(uuid)
    if (server === undefined) throw new NotFoundError(TOKEN_ERROR_MESSAGES.resourceNotFound)
    return server
  }

  router.get('/download/file', async (req, res) => {
    const claims = await api.tokens.redeem(queryString(req, 'token'), 'file-download', {
      hasServer,
    })
    const jail = api.jailOf(serverOf(claims.serverUuid))
    let readable
    try {
      readable = await jail.openRead(claims.filePath)
    } catch (err) {
      if (jailFaultOf(err)?.reason === 'is_directory') {
        throw new NotFoundError(FILE_ROUTE_ERRORS.resourceNotFound)
      }
      throw err
    }
    res.status(200)
    res.setHeader('Content-Length', String(readable.size))
    res.setHeader('Content-Disposition', contentDisposition(path.posix.basename(claims.filePath)))
    res.setHeader('Content-Type', 'application/octet-stream')
    await pipeline(readable.stream, res)
  })

  router.post('/upload/file', async (req, res) => {
    const claims = await api.tokens.redeem(queryString(req, 'token'), 'file-upload', { hasServer })
    const server = serverOf(claims.serverUuid)
    // The jail's parser: a directory that climbs out of the root is refused, never clamped.
    const directory = `/${parseJailPath(queryString(req, 'directory')).relative}`
    const limitMiB = api.uploadLimitMiB()
    const written = await receiveFiles(req, api.jailOf(server), directory, limitMiB * MIB, limitMiB)
    for (const file of written) {
      api.activity?.record({
        event: 'server:file.uploaded',
        server: claims.serverUuid,
        user: claims.userUuid,
        ip: req.ip ?? '',
        metadata: { file, directory },
      })
    }
    res.status(200).end()
  })

  return router
}

/**
 * Receives every `files` part into `directory` (http-api §10.3). Each part is streamed through
 * the jail into a staged temporary file, so the quota admits every chunk and a file over the
 * upload limit is stopped as soon as it passes it; only when the whole form was read and every
 * file passed are the files given their names, in order. The first failure stops the rest (their
 * bytes are drained, never written) and removes what was staged: a failed, oversized, cut-off
 * or aborted upload leaves nothing. Resolves with the names written.
 */
async function receiveFiles(
  req: Request,
  jail: Jail,
  directory: string,
  limitBytes: number,
  limitMiB: number,
): Promise<string[]> {
  let parser: Busboy
  try {
    parser = busboy({
      headers: req.headers,
      limits: { fields: 100, files: MAX_UPLOAD_FILES, fieldSize: MIB, headerPairs: 100 },
    })
  } catch (err) {
    throw new BadRequestError(FILE_ROUTE_ERRORS.multipart, { cause: err })
  }
  const staged: { name: string; writer: JailWriteStream }[] = []
  let failure: Error | undefined
  const fail = (err: unknown): void => {
    failure ??= asError(err)
  }
  const unreadable = (err: unknown): BadRequestError =>
    new BadRequestError(FILE_ROUTE_ERRORS.multipart, { cause: err })
  let sawFile = false
  let queue = Promise.resolve()

  const onFile = (field: string, stream: Readable, info: FileInfo): void => {
    // A form cut short destroys the part with an error: handled from the moment it exists.
    stream.on('error', (err) => fail(unreadable(err)))
    if (field === 'files') sawFile = true
    if (field !== 'files' || failure !== undefined) {
      stream.resume()
      return
    }
    const name = path.posix.basename((info.filename ?? '').replaceAll('\\', '/'))
    // `..`, `.` or nothing would name the directory or its parent, not a file in it.
    if (!isPlainName(name)) fail(fileNotFound())
    queue = queue.then(async () => {
      if (failure !== undefined) {
        stream.resume()
        return
      }
      const limiter = sizeLimit(limitBytes, name, limitMiB)
      stream.on('error', (err) => limiter.destroy(err))
      try {
        const writer = await jail.openWrite(jailPathIn(directory, name), {
          mode: FILE_MODE,
          staged: true,
        })
        staged.push({ name, writer })
        const sink = pipeline(limiter, writer)
        stream.pipe(limiter)
        await sink
      } catch (err) {
        fail(err)
        // The part is drained, never destroyed: the parser must read on to the end.
        stream.unpipe(limiter)
        stream.resume()
      }
    })
  }

  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('file', onFile)
      parser.on('filesLimit', () => fail(new BadRequestError(tooManyFiles(MAX_UPLOAD_FILES))))
      parser.on('close', resolve)
      parser.on('error', (err) => reject(unreadable(err)))
      req.on('error', reject)
      // A client gone mid-body ends nothing: stop the parser, which fails the part in flight.
      req.on('close', () => {
        if (!req.readableEnded) parser.destroy(new Error('the client went away'))
      })
      req.pipe(parser)
    })
  } catch (err) {
    fail(err)
  }
  await queue
  if (failure === undefined && !sawFile) fail(new BadRequestError(FILE_ROUTE_ERRORS.noUploadFiles))
  const written: string[] = []
  try {
    if (failure !== undefined) throw failure
    for (const { name, writer } of staged) {
      await writer.commit()
      written.push(name)
    }
    return written
  } finally {
    await Promise.all(staged.map(({ writer }) => writer.discard()))
  }
}
/** Fails the stream once it passes `limitBytes`: the jail then removes the partial file. */
function sizeLimit(limitBytes: number, name: string, limitMiB: number): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      seen += chunk.length
      if (seen > limitBytes) {
        done(
          new BadRequestError(
            `File ${name} is larger than the maximum file upload size of ${limitMiB} MB.`,
          ),
        )
        return
      }
      done(null, chunk)
    },
  })
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
