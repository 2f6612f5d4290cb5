import { Router, type Request, type Response } from 'express'

import { parseJailPath, type Jail } from '@node/filesystem-jail'
import { BadRequestError, type Logger } from '@node/shared-kernel'

import { sendJson } from '../../http/go-json.js'
import {
  asObject,
  optionalBoolean,
  optionalString,
  requiredString,
} from '../../http/parse/fields.js'
import { invalidBody, readJsonBody } from '../../http/parse/json-body.js'
import { FILE_ROUTE_ERRORS } from '../file-errors.js'
import { toWireStat } from '../wire-stat.js'
import { cheapMime, sniffFile } from '../mime-evidence.js'
import { checkedUrl, MAX_DOWNLOADS_PER_SERVER, type RemoteDownloads } from './remote-downloads.js'

export interface PullApi {
  readonly disableRemoteDownload: boolean
  readonly downloads: RemoteDownloads
  readonly logger: Logger
  jailOf(res: Response): Jail
}

/** http-api §7.11, mounted beneath /api/servers/:server (so `:server` is the server's uuid). */
export function pullRoutes(api: PullApi): Router {
  const router = Router({ mergeParams: true })
  const serverKey = (req: Request): string => String(req.params['server'])

  router.use('/files/pull', (_req, _res, next) => {
    next(
      api.disableRemoteDownload ? new BadRequestError(FILE_ROUTE_ERRORS.remoteDisabled) : undefined,
    )
  })

  router.get('/files/pull', (req, res) => {
    const downloads = api.downloads.list(serverKey(req))
    sendJson(res, 200, {
      downloads:
        downloads.length === 0
          ? null
          : downloads.map((d) => ({ Identifier: d.id, Progress: d.progress })),
    })
  })

  router.post('/files/pull', async (req, res) => {
    const body = asObject(await readJsonBody(req))
    const rawUrl = requiredString(body, 'url')
    const root = optionalString(body, 'root') ?? ''
    const directory = optionalString(body, 'directory') ?? ''
    const fileName = optionalString(body, 'file_name') ?? ''
    const useHeader = optionalBoolean(body, 'use_header') ?? false
    const foreground = optionalBoolean(body, 'foreground') ?? false
    if (root === '' && directory === '') throw invalidBody()
    let url: URL
    try {
      url = checkedUrl(new URL(rawUrl))
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      throw new BadRequestError(`An error occurred while parsing that URL: ${reason}`)
    }
    const target = root === '' ? directory : root
    // The jail's parser: a directory that climbs out of the root is refused (404) up front.
    parseJailPath(target)
    const jail = api.jailOf(res)
    jail.quota.assertNotOver()
    const key = serverKey(req)
    if (api.downloads.list(key).length >= MAX_DOWNLOADS_PER_SERVER) {
      throw new BadRequestError(FILE_ROUTE_ERRORS.pullLimit)
    }
    const download = api.downloads.start(key, jail, {
      url,
      directory: target,
      ...(fileName === '' ? {} : { fileName }),
      useHeader,
    })
    if (!foreground) {
      download.done.catch((err: unknown) => {
        api.logger.warn('remote download failed', {
          server: key,
          url: url.href,
          err: err instanceof Error ? err.message : String(err),
        })
      })
      sendJson(res, 202, { identifier: download.id })
      return
    }
    const result = await download.done
    const mime = cheapMime(result.name, result.stats) ?? (await sniffFile(jail, result.path))
    sendJson(res, 200, toWireStat(result.name, result.stats, mime))
  })

  router.delete('/files/pull/:download', (req, res) => {
    api.downloads.cancel(serverKey(req), String(req.params['download']))
    res.status(204).end()
  })

  return router
}
