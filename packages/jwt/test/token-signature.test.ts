import { generateKeyPairSync } from 'node:crypto'

import { TOKEN_ERROR_MESSAGES } from '@node/shared-kernel'
import { FakeClock } from '@node/shared-kernel/testing'
import jwt from 'jsonwebtoken'
import { describe, expect, it } from 'vitest'

import { BoundedTokenDenyList, JwtTokenVerifier, WebsocketTokenPolicy } from '../src/index.js'
import {
  EXPIRES_AT,
  ISSUED_AT,
  NODE_TOKEN,
  PERMISSIONS,
  SERVER_UUID,
  TOKEN,
  USER_JTI,
  USER_UUID,
} from './fixtures/panel-worked-example.js'
import { forgeToken, splitToken } from './forge-token.js'
import { createHarness, expectDenied, expectInvalid } from './harness.js'

describe('JwtTokenVerifier with the Panel worked example (panel-contract.md B.3)', () => {
  const fiveMinutesIn = (ISSUED_AT + 300) * 1000

  function verifierAt(now: number, allowTokensWithoutScope: boolean) {
    const clock = new FakeClock(now)
    const denyList = new BoundedTokenDenyList({ clock, bootedAt: (ISSUED_AT - 3600) * 1000 })
    const verifier = new JwtTokenVerifier({
      nodeToken: () => NODE_TOKEN,
      clock,
      denyList,
      tokensWithoutScope: allowTokensWithoutScope ? 'accept' : 'refuse',
    })
    const policy = new WebsocketTokenPolicy({
      denyList,
      clock,
      acceptsScopeless: () => verifier.acceptsScopeless(),
    })
    return Object.assign(verifier, { policy })
  }

  it('accepts it as a websocket token when tokens without scope are allowed', async () => {
    const verifier = verifierAt(fiveMinutesIn, true)

    const claims = await verifier.verify(TOKEN, 'websocket')

    expect(claims).toEqual({
      serverUuid: SERVER_UUID,
      userUuid: USER_UUID,
      permissions: PERMISSIONS,
      issuedAt: ISSUED_AT,
      expiresAt: EXPIRES_AT,
      jti: USER_JTI,
      scopes: undefined,
    })
    expect(verifier.policy.check(claims, SERVER_UUID)).toBeUndefined()
  })

  it('refuses it without the websocket scope when tokens without scope are not allowed', async () => {
    const verifier = verifierAt(fiveMinutesIn, false)

    await expectDenied(verifier.verify(TOKEN, 'websocket'), TOKEN_ERROR_MESSAGES.missingScope)
  })

  it('accepts it during its expiry second and refuses it from the next one', async () => {
    await expect(
      verifierAt(EXPIRES_AT * 1000 + 999, true).verify(TOKEN, 'websocket'),
    ).resolves.toMatchObject({ expiresAt: EXPIRES_AT })

    await expectDenied(
      verifierAt((EXPIRES_AT + 1) * 1000, true).verify(TOKEN, 'websocket'),
      TOKEN_ERROR_MESSAGES.expired,
    )
  })

  it('refuses it when the node token is another one', async () => {
    const verifier = new JwtTokenVerifier({
      nodeToken: () => 'another-node-token-entirely',
      clock: new FakeClock(fiveMinutesIn),
      denyList: new BoundedTokenDenyList({ clock: new FakeClock(fiveMinutesIn), bootedAt: 0 }),
      tokensWithoutScope: 'accept',
    })

    const err = await expectInvalid(verifier.verify(TOKEN, 'websocket'))

    expect(err.message).toMatch(/signature/)
  })
})

describe('JwtTokenVerifier against forged tokens', () => {
  const payloadOf = (token: string) => splitToken(token).payload

  it('refuses a token signed with another key', async () => {
    const { signer, verifier } = createHarness()

    await expectInvalid(verifier.verify(signer.mint('websocket', { key: 'wrong' }), 'websocket'))
  })

  it('refuses `alg: none` with or without a signature', async () => {
    const { signer, verifier, onNode } = createHarness()
    const payload = payloadOf(signer.mint('file-download'))

    const unsigned = forgeToken({ typ: 'JWT', alg: 'none' }, payload, { raw: '' })
    const noneButSigned = forgeToken({ typ: 'JWT', alg: 'none' }, payload, {
      hmac: 'sha256',
      key: NODE_TOKEN,
    })

    await expectInvalid(verifier.redeem(unsigned, 'file-download', onNode))
    await expectInvalid(verifier.redeem(noneButSigned, 'file-download', onNode))
    await expectInvalid(verifier.redeem(unsigned.slice(0, -1), 'file-download', onNode))
  })

  it('refuses HS384 and HS512 tokens signed with the node token', async () => {
    const { signer, verifier } = createHarness()
    const payload = payloadOf(signer.mint('websocket'))

    for (const [alg, hmac] of [
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      const token = forgeToken({ typ: 'JWT', alg }, payload, { hmac, key: NODE_TOKEN })
      await expectInvalid(verifier.verify(token, 'websocket'))
    }
  })

  it('refuses an RS256 token, and an RS256 header over an HMAC of the node token', async () => {
    const { signer, verifier } = createHarness()
    const payload = payloadOf(signer.mint('transfer')) as object
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const rs256 = jwt.sign(payload, privateKey, { algorithm: 'RS256', noTimestamp: true })
    const confused = forgeToken({ typ: 'JWT', alg: 'RS256' }, payload, {
      hmac: 'sha256',
      key: NODE_TOKEN,
    })

    await expectInvalid(verifier.verify(rs256, 'transfer'))
    await expectInvalid(verifier.verify(confused, 'transfer'))
  })

  it('refuses a token whose payload was changed after signing', async () => {
    const { signer, verifier } = createHarness()
    const { header, payload, parts } = splitToken(signer.mint('websocket'))
    const tampered = forgeToken(
      header,
      { ...(payload as object), permissions: ['*', 'admin.websocket.errors'] },
      { raw: parts[2] ?? '' },
    )

    await expectInvalid(verifier.verify(tampered, 'websocket'))
  })

  it('refuses a token whose header was changed after signing', async () => {
    const { signer, verifier } = createHarness()
    const { header, payload, parts } = splitToken(signer.mint('websocket'))
    const tampered = forgeToken({ ...(header as object), kid: 'x' }, payload, {
      raw: parts[2] ?? '',
    })

    await expectInvalid(verifier.verify(tampered, 'websocket'))
  })

  it('refuses padded, extended, truncated and non-base64url encodings of a valid token', async () => {
    const { signer, verifier } = createHarness()
    const token = signer.mint('websocket')
    const [header = '', payload = '', signature = ''] = token.split('.')
    await expect(verifier.verify(token, 'websocket')).resolves.toBeDefined()

    for (const bad of [
      `${header}=.${payload}.${signature}`,
      `${header}.${payload}=.${signature}`,
      `${header}.${payload}.${signature}=`,
      `${token}.${signature}`,
      `${header}.${payload}`,
      `${header}.+${payload}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -2)}/${signature.slice(-1)}`,
      ` ${token}`,
      '',
      'not a token',
      `${header}.${payload}.${signature}`.repeat(30),
    ]) {
      await expectInvalid(verifier.verify(bad, 'websocket'))
    }
    await expectInvalid(verifier.verify(null as unknown as string, 'websocket'))
  })

  it('refuses correctly signed payloads that are not JSON objects', async () => {
    const { verifier } = createHarness()

    for (const payload of ['[1,2]', '"text"', 'null', '42', 'not json']) {
      const token = forgeToken({ typ: 'JWT', alg: 'HS256' }, payload, {
        hmac: 'sha256',
        key: NODE_TOKEN,
      })
      await expectInvalid(verifier.verify(token, 'websocket'))
    }
  })

  it('refuses every token while no node token is configured, even one signed with an empty key', async () => {
    const { clock } = createHarness()
    const verifier = new JwtTokenVerifier({
      nodeToken: () => '',
      clock,
      denyList: new BoundedTokenDenyList({ clock, bootedAt: 0 }),
    })
    const payload = payloadOf(createHarness().signer.mint('transfer'))
    const emptyKeyToken = forgeToken({ typ: 'JWT', alg: 'HS256' }, payload, {
      hmac: 'sha256',
      key: '',
    })

    const err = await expectInvalid(verifier.verify(emptyKeyToken, 'transfer'))

    expect(err.message).toBe('no node token is configured')
  })

  it('verifies with the node token current at each call, so a rotation applies at once', async () => {
    let nodeToken = NODE_TOKEN
    const { signer, verifier } = createHarness({ nodeToken: () => nodeToken })
    const oldToken = signer.mint('transfer')
    await expect(verifier.verify(oldToken, 'transfer')).resolves.toBeDefined()

    nodeToken = 'rotated-node-token-of-64-characters-0123456789abcdefghijklmnopqrst'

    await expectInvalid(verifier.verify(oldToken, 'transfer'))
    await expect(
      verifier.verify(signer.mint('transfer', { key: nodeToken }), 'transfer'),
    ).resolves.toBeDefined()
  })

  it('never puts the token into the error it throws', async () => {
    const { signer, verifier } = createHarness()
    const token = signer.mint('websocket', { key: 'wrong' })

    const err = await expectInvalid(verifier.verify(token, 'websocket'))

    expect(JSON.stringify({ message: err.message, stack: err.stack })).not.toContain(
      token.split('.')[2],
    )
  })
})
