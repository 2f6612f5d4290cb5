import { readFile } from 'node:fs/promises'

import { Router } from 'express'
import { parse } from 'yaml'

import { sendJson } from '../go-json.js'

/** The OpenAPI 3.1 document of the HTTP API, kept beside the package.json (src/ and dist/ alike). */
export const OPENAPI_FILE = new URL('../../../openapi.yaml', import.meta.url)

let document: Promise<unknown> | undefined

/** The document, read and parsed once per process. */
function openApiDocument(): Promise<unknown> {
  document ??= readFile(OPENAPI_FILE, 'utf8').then(
    (text) => parse(text) as unknown,
    (err: unknown) => {
      // A failed read is tried again at the next request, not remembered.
      document = undefined
      throw err
    },
  )
  return document
}

/** `GET /api/openapi.json`: the document as JSON, behind the node token like the API it describes. */
export function openApiRoutes(): Router {
  const router = Router()
  router.get('/api/openapi.json', async (_req, res) => {
    sendJson(res, 200, await openApiDocument())
  })
  return router
}
