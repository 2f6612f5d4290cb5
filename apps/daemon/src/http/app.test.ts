import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'

import { Router } from 'express'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { ConflictError, NotFoundError } from '@node/shared-kernel'
import { MemoryLogger } from '@node/shared-kernel/testing'

import { createHttpApp, type HttpSettings } from './app.js'
import { FileNotFoundError } from './captured-errors.js'
import { sendJson } from './go-json.js'
import { asObject, optionalBoolean } from './parse/fields.js'
import { readJsonBody } from './parse/json-body.js'

const TOKEN = 'node-secret-token-0123456789'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('the HTTP app', () => {
  let server: Server
  let base: string
  let settings: HttpSettings

  beforeEach(async () => {
    settings = {
      token: TOKEN,
      remote: 'https://panel.example.com',
      allowedOrigins: ['https://other.example.com'],
      allowPrivateNetwork: false,
    }
    const routes = Router()
    routes.get('/api/echo', (_req, res) => sendJson(res, 200, { html: '<b>&</b>' }))
    routes.post('/api/body', async (req, res) => {
      const body = asObject(await readJsonBody(req))
      sendJson(res, 200, { flag: optionalBoolean(body, 'flag') ?? false })
    })
    routes.get('/api/missing', () => {
      throw new NotFoundError('The requested resource does not exist on this instance.')
    })
    routes.get('/api/fs-missing', () => {
      throw new FileNotFoundError()
    })
    routes.get('/api/busy', () => {
      throw new ConflictError('A transfer is already in progress for this server.')
    })
    routes.get('/api/boom', () => {
      throw new Error('database exploded')
    })
    routes.post('/api/boom-after-body', async (req) => {
      await readJsonBody(req)
      throw new Error('failed after reading the body')
    })
    const publicRoutes = Router()
    publicRoutes.get('/download/file', (_req, res) => sendJson(res, 200, { public: true }))
    const app = createHttpApp({
      logger: new MemoryLogger(),
      settings: () => settings,
      trustedProxies: [],
      publicRoutes: [publicRoutes],
      routes: [routes],
    })
    server = createServer(app)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterEach(async () => {
    server.close()
    await once(server, 'close')
  })

  const authed = (init: RequestInit = {}): RequestInit => ({
    ...init,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(init.headers as Record<string, string>) },
  })

  it('answers 401 with the spec body and WWW-Authenticate when no token is sent', async () => {
    const res = await fetch(`${base}/api/echo`)

    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await res.text()).toBe(
      '{"error":"The required authorization heads were not present in the request."}',
    )
  })

  it('answers 401 for another scheme and 403 for a wrong token', async () => {
    const basic = await fetch(`${base}/api/echo`, { headers: { Authorization: `Basic ${TOKEN}` } })
    const noSpace = await fetch(`${base}/api/echo`, { headers: { Authorization: 'Bearer' } })
    const wrong = await fetch(`${base}/api/echo`, { headers: { Authorization: 'Bearer nope' } })

    expect(basic.status).toBe(401)
    expect(noSpace.status).toBe(401)
    expect(wrong.status).toBe(403)
    expect(await wrong.text()).toBe('{"error":"You are not authorized to access this endpoint."}')
  })

  it('takes a rotated token at once', async () => {
    settings = { ...settings, token: 'rotated' }

    const old = await fetch(`${base}/api/echo`, authed())
    const fresh = await fetch(`${base}/api/echo`, { headers: { Authorization: 'Bearer rotated' } })

    expect(old.status).toBe(403)
    expect(fresh.status).toBe(200)
  })

  it('escapes <, > and & as Go does and sets a UUIDv4 request id on every response', async () => {
    const ok = await fetch(`${base}/api/echo`, authed())
    const denied = await fetch(`${base}/api/echo`)

    expect(await ok.text()).toBe('{"html":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}')
    expect(ok.headers.get('x-request-id')).toMatch(UUID)
    expect(denied.headers.get('x-request-id')).toMatch(UUID)
    expect(ok.headers.get('x-request-id')).not.toBe(denied.headers.get('x-request-id'))
  })

  it('runs public routes without the bearer check', async () => {
    const res = await fetch(`${base}/download/file`)

    expect(res.status).toBe(200)
  })

  it('answers unknown routes with 404 text after the bearer check', async () => {
    const anonymous = await fetch(`${base}/api/nothing-here`)
    const res = await fetch(`${base}/api/nothing-here`, authed({ method: 'PATCH' }))

    expect(anonymous.status).toBe(401)
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('404 page not found')
  })

  it('answers every OPTIONS request with 204 and the CORS headers before authentication', async () => {
    const res = await fetch(`${base}/whatever/path`, { method: 'OPTIONS' })

    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://panel.example.com')
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    expect(res.headers.get('access-control-allow-methods')).toBe(
      'GET, POST, PATCH, PUT, DELETE, OPTIONS',
    )
    expect(res.headers.get('access-control-max-age')).toBe('7200')
    expect(res.headers.get('access-control-request-private-network')).toBeNull()
  })

  it('echoes an allowed origin, a * entry literally, and the Panel URL otherwise', async () => {
    const other = await fetch(
      `${base}/api/echo`,
      authed({ headers: { Origin: 'https://other.example.com' } }),
    )
    const stranger = await fetch(
      `${base}/api/echo`,
      authed({ headers: { Origin: 'https://evil.example' } }),
    )
    settings = { ...settings, allowedOrigins: ['*'], allowPrivateNetwork: true }
    const star = await fetch(
      `${base}/api/echo`,
      authed({ headers: { Origin: 'https://evil.example' } }),
    )

    expect(other.headers.get('access-control-allow-origin')).toBe('https://other.example.com')
    expect(stranger.headers.get('access-control-allow-origin')).toBe('https://panel.example.com')
    expect(star.headers.get('access-control-allow-origin')).toBe('*')
    expect(star.headers.get('access-control-request-private-network')).toBe('true')
  })

  it('redirects a trailing slash before any middleware, keeping the method with 307', async () => {
    const get = await fetch(`${base}/api/echo/?a=1`, { redirect: 'manual' })
    const post = await fetch(`${base}/api/body/`, { method: 'POST', redirect: 'manual' })
    const sneaky = await fetch(`${base}//evil.example/`, { redirect: 'manual' })

    expect(get.status).toBe(301)
    expect(get.headers.get('location')).toBe('/api/echo?a=1')
    expect(get.headers.get('x-request-id')).toBeNull()
    expect(post.status).toBe(307)
    expect(sneaky.headers.get('location')).toBe('/evil.example')
  })

  it('maps an empty JSON body to the not-parsable message without a request id', async () => {
    const res = await fetch(`${base}/api/body`, authed({ method: 'POST' }))

    expect(res.status).toBe(400)
    expect(await res.text()).toBe(
      '{"error":"The data passed in the request was not in a parsable format. Please try again."}',
    )
  })

  it('maps malformed JSON and wrong field types to the generic 400 with the request id', async () => {
    const malformed = await fetch(`${base}/api/body`, authed({ method: 'POST', body: '{"flag":' }))
    const wrongType = await fetch(
      `${base}/api/body`,
      authed({ method: 'POST', body: '{"flag":"yes"}' }),
    )
    const notObject = await fetch(`${base}/api/body`, authed({ method: 'POST', body: '[1,2]' }))

    for (const res of [malformed, wrongType, notObject]) {
      const id = res.headers.get('x-request-id')
      expect(res.status).toBe(400)
      expect(await res.text()).toBe(
        `{"error":"An unexpected error was encountered while processing this request","request_id":"${id}"}`,
      )
    }
  })

  it('accepts a well-formed body whatever its content type says', async () => {
    const res = await fetch(
      `${base}/api/body`,
      authed({ method: 'POST', body: '{"flag":true}', headers: { 'Content-Type': 'text/plain' } }),
    )

    expect(await res.json()).toEqual({ flag: true })
  })

  it('maps daemon errors to their status, with the request id only where the spec has one', async () => {
    const missing = await fetch(`${base}/api/missing`, authed())
    const fsMissing = await fetch(`${base}/api/fs-missing`, authed())
    const busy = await fetch(`${base}/api/busy`, authed())

    expect(missing.status).toBe(404)
    expect(await missing.text()).toBe(
      '{"error":"The requested resource does not exist on this instance."}',
    )
    expect(fsMissing.status).toBe(404)
    expect(await fsMissing.json()).toEqual({
      error: 'The requested resources was not found on the system.',
      request_id: fsMissing.headers.get('x-request-id'),
    })
    expect(busy.status).toBe(409)
  })

  it('hides unexpected errors behind the generic 500 and keeps serving', async () => {
    const res = await fetch(`${base}/api/boom`, authed())
    const after = await fetch(`${base}/api/echo`, authed())

    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({
      error: 'An unexpected error was encountered while processing this request',
      request_id: res.headers.get('x-request-id'),
    })
    expect(after.status).toBe(200)
  })

  it('answers the generic 500, not the client-abort 400, for a failure after the body was read', async () => {
    const res = await fetch(`${base}/api/boom-after-body`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: '{"a":1}',
    })

    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: string }).error).toBe(
      'An unexpected error was encountered while processing this request',
    )
  })

  it('refuses a JSON body over the limit with 400', async () => {
    const res = await fetch(
      `${base}/api/body`,
      authed({ method: 'POST', body: `{"pad":"${'x'.repeat(9 * 1024 * 1024)}"}` }),
    )

    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toMatch(/larger than the limit/)
  })
})
