import { TOKEN_ERROR_MESSAGES } from '@node/shared-kernel'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { SERVER_UUID, USER_JTI, USER_UUID } from './fixtures/panel-worked-example.js'
import { createHarness, expectDenied, expectNotFound, NOW, NOW_SECONDS } from './harness.js'

const OTHER_SERVER = '0f8fad5b-d9cb-469f-a165-70867728950e'
const OTHER_USER = '7c9e6679-7425-40de-944b-e07fc1f90ae7'

describe('JwtTokenVerifier boot-time rule', () => {
  it('denies tokens issued before the boot instant, including in its own second', async () => {
    // Booted at NOW (mid-second): a token of the same whole second predates it.
    const h = createHarness({ bootedAt: NOW })

    await expectDenied(
      h.verifier.verify(h.signer.mint('websocket', { issuedAt: NOW_SECONDS - 60 }), 'websocket'),
      TOKEN_ERROR_MESSAGES.denylisted,
    )
    await expectDenied(
      h.verifier.verify(h.signer.mint('websocket'), 'websocket'),
      TOKEN_ERROR_MESSAGES.denylisted,
    )
    await expectNotFound(
      h.verifier.redeem(h.signer.mint('file-download'), 'file-download', h.onNode),
    )
    h.clock.advance(1000)
    await expect(h.verifier.verify(h.signer.mint('websocket'), 'websocket')).resolves.toBeDefined()
  })

  it('takes the boot instant from the clock when none is given', async () => {
    const h = createHarness({ bootedAt: undefined })

    await expectDenied(
      h.verifier.verify(h.signer.mint('websocket', { issuedAt: NOW_SECONDS - 1 }), 'websocket'),
      TOKEN_ERROR_MESSAGES.denylisted,
    )
  })

  it('does not apply to transfer tokens', async () => {
    const h = createHarness({ bootedAt: NOW })

    await expect(
      h.verifier.verify(h.signer.mint('transfer', { issuedAt: NOW_SECONDS - 60 }), 'transfer'),
    ).resolves.toBeDefined()
  })
})

describe('JwtTokenVerifier jti deny list (ws/deny)', () => {
  it('denies tokens with the jti issued up to the denial, including its own second', async () => {
    const h = createHarness()
    const before = h.signer.mint('websocket', { issuedAt: NOW_SECONDS - 30 })
    const sameSecond = h.signer.mint('websocket')
    const session = await h.verifier.verify(before, 'websocket')

    h.denyList.denyJtis([USER_JTI])

    await expectDenied(h.verifier.verify(before, 'websocket'), TOKEN_ERROR_MESSAGES.denylisted)
    await expectDenied(h.verifier.verify(sameSecond, 'websocket'), TOKEN_ERROR_MESSAGES.denylisted)
    expect(h.policy.check(session, SERVER_UUID)).toBe(TOKEN_ERROR_MESSAGES.denylisted)
    h.clock.advance(1000)
    await expect(h.verifier.verify(h.signer.mint('websocket'), 'websocket')).resolves.toBeDefined()
  })

  it('denies a token issued exactly at the instant of the denial (iat <= denied_at)', async () => {
    const h = createHarness()
    h.clock.advance(750)
    const token = h.signer.mint('websocket')

    h.denyList.denyJtis([USER_JTI])
    h.denyList.deauthorizeUser(USER_UUID, [OTHER_SERVER])

    await expectDenied(h.verifier.verify(token, 'websocket'), TOKEN_ERROR_MESSAGES.denylisted)
    await expect(
      h.verifier.verify(
        h.signer.mint('websocket', { serverUuid: OTHER_SERVER, userId: 9 }),
        'websocket',
      ),
    ).rejects.toThrow(TOKEN_ERROR_MESSAGES.denylisted)
  })

  it('leaves other jtis alone', async () => {
    const h = createHarness()

    h.denyList.denyJtis(['5f4dcc3b5aa765d61d8327deb882cf99', '', 'x'.repeat(300)])

    await expect(h.verifier.verify(h.signer.mint('websocket'), 'websocket')).resolves.toBeDefined()
  })

  it('applies to download tokens too, as Wings 1.12 does', async () => {
    const h = createHarness()
    const token = h.signer.mint('file-download')

    h.denyList.denyJtis([USER_JTI])

    await expectNotFound(h.verifier.redeem(token, 'file-download', h.onNode))
  })

  it('never lets a denied token through when the list overflows', async () => {
    const logger = new MemoryLogger()
    const h = createHarness({ maxDeniedEntries: 5, logger })
    const token = h.signer.mint('websocket', { issuedAt: NOW_SECONDS - 1 })
    h.denyList.denyJtis([USER_JTI])

    for (let i = 0; i < 1000; i++) {
      h.clock.advance(10)
      h.denyList.denyJtis([`other-${i}`])
    }

    await expectDenied(h.verifier.verify(token, 'websocket'), TOKEN_ERROR_MESSAGES.denylisted)
    expect(logger.records.some((r) => r.level === 'warn')).toBe(true)
    h.clock.advance(1000)
    await expect(h.verifier.verify(h.signer.mint('websocket'), 'websocket')).resolves.toBeDefined()
  })
})

describe('JwtTokenVerifier user deny list (deauthorize-user)', () => {
  it("denies the user's tokens for the listed servers issued up to now", async () => {
    const h = createHarness()
    const websocket = h.signer.mint('websocket')
    const upload = h.signer.mint('file-upload')
    const otherServer = h.signer.mint('websocket', { serverUuid: OTHER_SERVER })
    const otherUser = h.signer.mint('websocket', { userUuid: OTHER_USER, userId: 2 })

    h.denyList.deauthorizeUser(USER_UUID, [SERVER_UUID])

    await expectDenied(h.verifier.verify(websocket, 'websocket'), TOKEN_ERROR_MESSAGES.denylisted)
    await expectNotFound(h.verifier.redeem(upload, 'file-upload', h.onNode))
    await expect(h.verifier.verify(otherServer, 'websocket')).resolves.toBeDefined()
    await expect(h.verifier.verify(otherUser, 'websocket')).resolves.toBeDefined()
  })

  it('accepts tokens issued after the denial', async () => {
    const h = createHarness()
    h.denyList.deauthorizeUser(USER_UUID, [SERVER_UUID])

    h.clock.advance(1000)

    await expect(h.verifier.verify(h.signer.mint('websocket'), 'websocket')).resolves.toBeDefined()
  })

  it("denies the user's tokens for every server when no servers are listed ('all')", async () => {
    const h = createHarness()
    const tokens = [SERVER_UUID, OTHER_SERVER].map((serverUuid) =>
      h.signer.mint('websocket', { serverUuid }),
    )

    h.denyList.deauthorizeUser(USER_UUID, 'all')

    for (const token of tokens) {
      await expectDenied(h.verifier.verify(token, 'websocket'), TOKEN_ERROR_MESSAGES.denylisted)
    }
  })

  it('denies nothing for an empty list of servers', async () => {
    const h = createHarness()

    h.denyList.deauthorizeUser(USER_UUID, [])

    await expect(h.verifier.verify(h.signer.mint('websocket'), 'websocket')).resolves.toBeDefined()
  })

  it('matches UUIDs whatever their case', async () => {
    const h = createHarness()
    const token = h.signer.mint('websocket')

    h.denyList.deauthorizeUser(USER_UUID.toUpperCase(), [SERVER_UUID.toUpperCase()])

    await expectDenied(h.verifier.verify(token, 'websocket'), TOKEN_ERROR_MESSAGES.denylisted)
  })

  it('never lets a denied token through when the list overflows', async () => {
    const h = createHarness({ maxDeniedEntries: 3 })
    const token = h.signer.mint('websocket', { issuedAt: NOW_SECONDS - 1 })
    h.denyList.deauthorizeUser(USER_UUID, [SERVER_UUID])

    for (let i = 0; i < 100; i++) {
      h.clock.advance(10)
      h.denyList.deauthorizeUser(OTHER_USER, [
        `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      ])
    }

    await expectDenied(h.verifier.verify(token, 'websocket'), TOKEN_ERROR_MESSAGES.denylisted)
  })
})

describe('JwtTokenVerifier websocket session checks', () => {
  it('reports each problem with its exact jwt error text', async () => {
    const h = createHarness()
    const claims = await h.verifier.verify(h.signer.mint('websocket'), 'websocket')

    expect(h.policy.check(claims, SERVER_UUID)).toBeUndefined()
    expect(h.policy.check(undefined, SERVER_UUID)).toBe('jwt: no jwt present')
    expect(h.policy.check(claims, OTHER_SERVER)).toBe('jwt: server uuid mismatch')
    expect(h.policy.check({ ...claims, permissions: ['control.console'] }, SERVER_UUID)).toBe(
      'jwt: missing connect permission',
    )
    h.clock.advance(600_999 - 250)
    expect(h.policy.check(claims, SERVER_UUID)).toBeUndefined()
    h.clock.advance(1)
    expect(h.policy.check(claims, SERVER_UUID)).toBe('jwt: exp claim is invalid')
  })

  it('reports a deauthorized user on an open session', async () => {
    const h = createHarness()
    const claims = await h.verifier.verify(h.signer.mint('websocket'), 'websocket')

    h.denyList.deauthorizeUser(USER_UUID, [SERVER_UUID])

    expect(h.policy.check(claims, SERVER_UUID)).toBe('jwt: created too far in past (denylist)')
  })

  it('grants * everything but admin permissions, and nothing once denied', async () => {
    const h = createHarness()
    const owner = await h.verifier.verify(h.signer.mint('websocket'), 'websocket')
    const admin = await h.verifier.verify(
      h.signer.mint('websocket', { claims: { permissions: ['*', 'admin.websocket.errors'] } }),
      'websocket',
    )
    const subuser = await h.verifier.verify(
      h.signer.mint('websocket', {
        claims: { permissions: ['websocket.connect', 'control.start'] },
      }),
      'websocket',
    )

    expect(h.policy.hasPermission(owner, 'control.console')).toBe(true)
    expect(h.policy.hasPermission(owner, 'admin.websocket.errors')).toBe(false)
    expect(h.policy.hasPermission(admin, 'admin.websocket.errors')).toBe(true)
    expect(h.policy.hasPermission(admin, 'admin.websocket.install')).toBe(false)
    expect(h.policy.hasPermission(subuser, 'control.start')).toBe(true)
    expect(h.policy.hasPermission(subuser, 'control.stop')).toBe(false)

    h.denyList.denyJtis([USER_JTI])

    expect(h.policy.hasPermission(owner, 'control.console')).toBe(false)
    expect(h.denyList.isDenied(admin)).toBe(true)
  })

  it('treats a token lacking what revocation needs as denied', () => {
    const h = createHarness()
    const claims = { serverUuid: SERVER_UUID, userUuid: USER_UUID, jti: undefined }

    expect(h.denyList.isDenied({ ...claims, issuedAt: NOW_SECONDS })).toBe(false)
    expect(h.denyList.isDenied({ ...claims, issuedAt: undefined as unknown as number })).toBe(true)
    expect(h.denyList.isDenied({ ...claims, serverUuid: '', issuedAt: NOW_SECONDS })).toBe(true)
    expect(h.denyList.isDenied({ ...claims, userUuid: '', issuedAt: NOW_SECONDS })).toBe(true)
  })
})
