import { TOKEN_ERROR_MESSAGES, type TokenPurpose } from '@node/shared-kernel'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import {
  BACKUP_UUID,
  NODE_TOKEN,
  SERVER_UUID,
  TRANSFER_JTI,
  USER_JTI,
  USER_UUID,
} from './fixtures/panel-worked-example.js'
import { forgeToken, splitToken } from './forge-token.js'
import {
  createHarness,
  expectDenied,
  expectInvalid,
  expectNotFound,
  NOW_SECONDS,
  type Harness,
} from './harness.js'
import type { ScopeMemory } from '../src/index.js'
import type { MintOptions } from './panel-token-signer.js'

/** Matches the Panel's `unique_id`: 16 random alphanumerics. */
const PANEL_UNIQUE_ID: unknown = expect.stringMatching(/^[A-Za-z0-9]{16}$/)

const ALL_PURPOSES: readonly TokenPurpose[] = [
  'websocket',
  'file-download',
  'file-upload',
  'backup-download',
  'transfer',
]

/** Verifies `token` for `purpose` the way the route for that purpose does. */
function use(h: Harness, token: string, purpose: TokenPurpose): Promise<unknown> {
  if (purpose === 'websocket' || purpose === 'transfer') return h.verifier.verify(token, purpose)
  return h.verifier.redeem(token, purpose, h.onNode)
}

/** What the route for `purpose` answers a token minted for another purpose with. */
async function expectRefusedFor(h: Harness, token: string, purpose: TokenPurpose): Promise<void> {
  if (purpose === 'websocket') {
    await expectDenied(use(h, token, purpose), TOKEN_ERROR_MESSAGES.missingConnectPermission)
  } else if (purpose === 'transfer') {
    await expectDenied(use(h, token, purpose), TOKEN_ERROR_MESSAGES.forbidden)
  } else {
    await expectNotFound(use(h, token, purpose))
  }
}

describe('JwtTokenVerifier time claims', () => {
  it('refuses an expired websocket token with the jwt error the Panel refreshes on', async () => {
    const h = createHarness()
    const token = h.signer.mint('websocket', { lifetimeSeconds: 600 })

    h.clock.advance(600_000)
    await expect(h.verifier.verify(token, 'websocket')).resolves.toBeDefined()
    h.clock.advance(1000)

    await expectDenied(h.verifier.verify(token, 'websocket'), TOKEN_ERROR_MESSAGES.expired)
  })

  it('refuses expired download, upload and transfer tokens as invalid (HTTP 500)', async () => {
    const h = createHarness()
    const tokens = {
      'file-download': h.signer.mint('file-download'),
      'file-upload': h.signer.mint('file-upload'),
      'backup-download': h.signer.mint('backup-download'),
      transfer: h.signer.mint('transfer'),
    }

    h.clock.advance(901_000)

    for (const [purpose, token] of Object.entries(tokens)) {
      const err = await expectInvalid(use(h, token, purpose as TokenPurpose))
      expect(err.message).toBe(TOKEN_ERROR_MESSAGES.expired)
    }
  })

  it('refuses a token that is not valid yet', async () => {
    const h = createHarness()
    const token = h.signer.mint('transfer', { claims: { nbf: NOW_SECONDS + 10 } })

    const err = await expectInvalid(h.verifier.verify(token, 'transfer'))

    expect(err.message).toMatch(/nbf/)
  })

  it('accepts a Panel clock up to five minutes ahead and refuses a token issued further in the future', async () => {
    const h = createHarness()

    const skewed = h.signer.mint('websocket', { issuedAt: NOW_SECONDS + 200 })
    const future = h.signer.mint('websocket', {
      issuedAt: NOW_SECONDS + 301,
      claims: { nbf: undefined },
    })

    await expect(h.verifier.verify(skewed, 'websocket')).resolves.toMatchObject({
      issuedAt: NOW_SECONDS + 200,
    })
    expect((await expectInvalid(h.verifier.verify(future, 'websocket'))).message).toMatch(/iat/)
  })

  it('refuses a token without exp', async () => {
    const h = createHarness()

    const err = await expectInvalid(
      h.verifier.verify(h.signer.mint('transfer', { claims: { exp: undefined } }), 'transfer'),
    )

    expect(err.message).toMatch(/exp/)
  })

  it('refuses fractional or string time claims, which the Panel never writes', async () => {
    const h = createHarness()
    const { payload } = splitToken(h.signer.mint('transfer'))
    const base = payload as Record<string, unknown>

    for (const change of [
      { exp: NOW_SECONDS + 60.5 },
      { exp: String(NOW_SECONDS + 60) },
      { iat: NOW_SECONDS + 0.5 },
      { nbf: 'yesterday' },
    ]) {
      const token = forgeToken(
        { typ: 'JWT', alg: 'HS256' },
        { ...base, ...change },
        {
          hmac: 'sha256',
          key: NODE_TOKEN,
        },
      )
      await expectInvalid(h.verifier.verify(token, 'transfer'))
    }
  })

  it('refuses a token living longer than the configured maximum', async () => {
    const h = createHarness({ maxTokenLifetimeSeconds: 900 })

    await expect(
      h.verifier.verify(h.signer.mint('transfer', { lifetimeSeconds: 900 }), 'transfer'),
    ).resolves.toBeDefined()
    await expectInvalid(
      h.verifier.verify(h.signer.mint('transfer', { lifetimeSeconds: 901 }), 'transfer'),
    )
  })
})

describe('JwtTokenVerifier claims per purpose', () => {
  it('returns the typed claims of each purpose', async () => {
    const h = createHarness()

    const websocket = await h.verifier.verify(h.signer.mint('websocket'), 'websocket')
    const download = await h.verifier.redeem(
      h.signer.mint('file-download', { claims: { file_path: '/world/level.dat' } }),
      'file-download',
      h.onNode,
    )
    const upload = await h.verifier.redeem(h.signer.mint('file-upload'), 'file-upload', h.onNode)
    const backup = await h.verifier.redeem(
      h.signer.mint('backup-download'),
      'backup-download',
      h.onNode,
    )
    const transfer = await h.verifier.verify(h.signer.mint('transfer'), 'transfer')

    const user = {
      serverUuid: SERVER_UUID,
      userUuid: USER_UUID,
      issuedAt: NOW_SECONDS,
      jti: USER_JTI,
    }
    expect(websocket).toEqual({
      ...user,
      permissions: ['*'],
      expiresAt: NOW_SECONDS + 600,
      scopes: ['websocket'],
    })
    expect(download).toEqual({
      ...user,
      filePath: '/world/level.dat',
      uniqueId: PANEL_UNIQUE_ID,
      expiresAt: NOW_SECONDS + 900,
      scopes: ['file-download'],
    })
    expect(upload).toEqual({
      ...user,
      uniqueId: PANEL_UNIQUE_ID,
      expiresAt: NOW_SECONDS + 900,
      scopes: ['file-upload'],
    })
    expect(backup).toMatchObject({ ...user, backupUuid: BACKUP_UUID })
    expect(transfer).toEqual({
      serverUuid: SERVER_UUID,
      issuedAt: NOW_SECONDS,
      expiresAt: NOW_SECONDS + 900,
      jti: TRANSFER_JTI,
      scopes: ['transfer'],
    })
    expect(Object.isFrozen(websocket)).toBe(true)
  })

  it('ignores unknown claims and accepts aud as a string or an array', async () => {
    const h = createHarness()

    for (const aud of ['https://node1.example.com:8080', ['a', 'b']]) {
      const token = h.signer.mint('websocket', { claims: { aud, color: 'blue', nested: { a: 1 } } })
      await expect(h.verifier.verify(token, 'websocket')).resolves.toBeDefined()
    }
  })

  it('refuses iss and aud of types the Panel never writes', async () => {
    const h = createHarness()

    for (const claims of [{ iss: 42 }, { aud: 42 }, { aud: [1] }]) {
      await expectInvalid(h.verifier.verify(h.signer.mint('websocket', { claims }), 'websocket'))
    }
  })

  describe('websocket', () => {
    it('denies a token lacking server_uuid, user_uuid or iat, as Wings 1.12 does', async () => {
      const h = createHarness()

      for (const claims of [
        { server_uuid: undefined },
        { user_uuid: undefined },
        { iat: undefined },
      ]) {
        await expectDenied(
          h.verifier.verify(h.signer.mint('websocket', { claims }), 'websocket'),
          TOKEN_ERROR_MESSAGES.denylisted,
        )
      }
    })

    it('refuses mistyped claims as invalid', async () => {
      const h = createHarness()

      for (const claims of [
        { server_uuid: 'not-a-uuid' },
        { server_uuid: 12 },
        { user_uuid: ['x'] },
        { permissions: '*' },
        { permissions: ['*', 3] },
        { jti: 5 },
        { jti: 'x'.repeat(257) },
      ]) {
        await expectInvalid(h.verifier.verify(h.signer.mint('websocket', { claims }), 'websocket'))
      }
    })

    it('needs websocket.connect or *', async () => {
      const h = createHarness()
      const withPermissions = (permissions: unknown) =>
        h.verifier.verify(h.signer.mint('websocket', { claims: { permissions } }), 'websocket')

      await expect(withPermissions(['websocket.connect'])).resolves.toBeDefined()
      await expect(withPermissions(['*'])).resolves.toBeDefined()
      for (const permissions of [[], ['control.console'], ['admin.websocket.errors'], undefined]) {
        await expectDenied(
          withPermissions(permissions),
          TOKEN_ERROR_MESSAGES.missingConnectPermission,
        )
      }
    })
  })

  describe('downloads and uploads', () => {
    it('answer 404 when a claim they need is absent', async () => {
      const h = createHarness()
      const cases: [Exclude<TokenPurpose, 'websocket' | 'transfer'>, MintOptions['claims']][] = [
        ['file-download', { file_path: undefined }],
        ['file-download', { unique_id: undefined }],
        ['file-download', { unique_id: '' }],
        ['file-download', { user_uuid: undefined }],
        ['file-upload', { server_uuid: undefined }],
        ['file-upload', { iat: undefined }],
        ['backup-download', { backup_uuid: undefined }],
      ]

      for (const [purpose, claims] of cases) {
        await expectNotFound(
          h.verifier.redeem(h.signer.mint(purpose, { claims }), purpose, h.onNode),
        )
      }
    })

    it('refuse mistyped claims as invalid (HTTP 500)', async () => {
      const h = createHarness()
      const cases: [Exclude<TokenPurpose, 'websocket' | 'transfer'>, MintOptions['claims']][] = [
        ['file-download', { file_path: 7 }],
        ['file-download', { file_path: 'a\0b' }],
        ['file-download', { unique_id: 1234 }],
        ['file-upload', { user_uuid: 'someone' }],
        ['backup-download', { backup_uuid: '../../etc/passwd' }],
      ]

      for (const [purpose, claims] of cases) {
        await expectInvalid(
          h.verifier.redeem(h.signer.mint(purpose, { claims }), purpose, h.onNode),
        )
      }
    })
  })

  describe('transfer', () => {
    it('refuses a sub that is not a UUID, or none, as invalid (HTTP 500)', async () => {
      const h = createHarness()

      for (const sub of ['server-1', undefined, 42]) {
        await expectInvalid(
          h.verifier.verify(h.signer.mint('transfer', { claims: { sub } }), 'transfer'),
        )
      }
    })

    it('returns sub as a lower-case UUID', async () => {
      const h = createHarness()

      const claims = await h.verifier.verify(
        h.signer.mint('transfer', { claims: { sub: SERVER_UUID.toUpperCase() } }),
        'transfer',
      )

      expect(claims.serverUuid).toBe(SERVER_UUID)
    })
  })
})

describe('JwtTokenVerifier scope', () => {
  it('accepts a scope naming the purpose among others', async () => {
    const h = createHarness()

    const token = h.signer.mint('file-upload', { scope: 'file-download file-upload' })

    await expect(h.verifier.redeem(token, 'file-upload', h.onNode)).resolves.toBeDefined()
  })

  it('refuses a token scoped for one purpose at every other purpose', async () => {
    for (const minted of ALL_PURPOSES) {
      for (const used of ALL_PURPOSES.filter((p) => p !== minted)) {
        const h = createHarness({ tokensWithoutScope: 'accept' })
        // A token carrying every claim, so that only the scope can refuse it.
        const token = h.signer.mint(minted, {
          claims: {
            sub: SERVER_UUID,
            server_uuid: SERVER_UUID,
            user_uuid: USER_UUID,
            permissions: ['*'],
            file_path: '/a',
            backup_uuid: BACKUP_UUID,
          },
        })

        await expectRefusedFor(h, token, used)
        await expect(use(h, token, minted)).resolves.toBeDefined()
      }
    }
  })

  it('refuses a scope that is not a string', async () => {
    const h = createHarness()

    await expectInvalid(
      h.verifier.verify(h.signer.mint('websocket', { scope: ['websocket'] as never }), 'websocket'),
    )
  })

  it('refuses tokens without scope for every purpose by default', async () => {
    for (const purpose of ALL_PURPOSES.filter((p) => p !== 'websocket')) {
      const h = createHarness()

      await expectRefusedFor(h, h.signer.mint(purpose, { scope: null }), purpose)
    }
  })

  it('tells a websocket without scope that the scope is missing, naming the setting', async () => {
    const logger = new MemoryLogger()
    const h = createHarness({ logger })

    await expectDenied(
      h.verifier.verify(h.signer.mint('websocket', { scope: null }), 'websocket'),
      TOKEN_ERROR_MESSAGES.missingScope,
    )
    await expectNotFound(
      h.verifier.redeem(h.signer.mint('file-upload', { scope: null }), 'file-upload', h.onNode),
    )

    expect(TOKEN_ERROR_MESSAGES.missingScope).toMatch(/^jwt: .*api\.accept_tokens_without_scope/)
    const warnings = logger.records.filter((r) => r.level === 'warn')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toContain('api.accept_tokens_without_scope')
  })

  it('accepts Panel tokens without scope for their own purpose when allowed', async () => {
    for (const purpose of ALL_PURPOSES) {
      const h = createHarness({ tokensWithoutScope: 'accept' })

      await expect(use(h, h.signer.mint(purpose, { scope: null }), purpose)).resolves.toBeDefined()
    }
  })

  it('judges tokens without scope by their claims, refusing those minted for another purpose', async () => {
    for (const minted of ALL_PURPOSES) {
      for (const used of ALL_PURPOSES.filter((p) => p !== minted)) {
        const h = createHarness({ tokensWithoutScope: 'accept' })
        const token = h.signer.mint(minted, { scope: null })

        const outcome = await use(h, token, used).then(
          () => 'accepted',
          () => 'refused',
        )

        expect(outcome, `${minted} token used for ${used}`).toBe('refused')
      }
    }
  })
})

describe('JwtTokenVerifier learning whether the Panel signs scopes', () => {
  const learning = (memory?: ScopeMemory, logger = new MemoryLogger()) =>
    createHarness({
      tokensWithoutScope: 'learn',
      ...(memory ? { scopeMemory: memory } : {}),
      logger,
    })

  function recordingMemory(seen = false): ScopeMemory & { remembered: number } {
    const memory = {
      seen,
      remembered: 0,
      remember: () => {
        memory.seen = true
        memory.remembered++
      },
    }
    return memory
  }

  it('accepts tokens without scope until the first valid token that carries one', async () => {
    const memory = recordingMemory()
    const logger = new MemoryLogger()
    const h = learning(memory, logger)
    const old = await h.verifier.verify(h.signer.mint('websocket', { scope: null }), 'websocket')
    await expect(
      h.verifier.redeem(h.signer.mint('file-download', { scope: null }), 'file-download', h.onNode),
    ).resolves.toBeDefined()

    await h.verifier.verify(h.signer.mint('websocket'), 'websocket')
    await h.verifier.redeem(h.signer.mint('file-upload'), 'file-upload', h.onNode)

    expect(memory.remembered).toBe(1)
    expect(logger.records.filter((r) => r.message.includes('from now on'))).toHaveLength(1)
    await expectDenied(
      h.verifier.verify(h.signer.mint('websocket', { scope: null }), 'websocket'),
      TOKEN_ERROR_MESSAGES.missingScope,
    )
    await expectNotFound(
      h.verifier.redeem(h.signer.mint('file-download', { scope: null }), 'file-download', h.onNode),
    )
    // A session opened with a scope-less token loses it at its next event.
    expect(h.policy.check(old, SERVER_UUID)).toBe(TOKEN_ERROR_MESSAGES.missingScope)
  })

  it('learns nothing from a scoped token that is not valid', async () => {
    const memory = recordingMemory()
    const h = learning(memory)

    await expectInvalid(
      h.verifier.verify(h.signer.mint('websocket', { key: 'not-the-node-token' }), 'websocket'),
    )
    await expectDenied(
      h.verifier.verify(h.signer.mint('websocket', { issuedAt: NOW_SECONDS - 2000 }), 'websocket'),
      TOKEN_ERROR_MESSAGES.expired,
    )

    expect(memory.remembered).toBe(0)
    await expect(
      h.verifier.verify(h.signer.mint('websocket', { scope: null }), 'websocket'),
    ).resolves.toBeDefined()
  })

  it('refuses tokens without scope from the start when it learned that before', async () => {
    const h = learning(recordingMemory(true))

    await expectDenied(
      h.verifier.verify(h.signer.mint('websocket', { scope: null }), 'websocket'),
      TOKEN_ERROR_MESSAGES.missingScope,
    )
  })

  it('still judges scope-less tokens by their claims while it accepts them', async () => {
    const h = learning()

    await expectNotFound(
      h.verifier.redeem(h.signer.mint('websocket', { scope: null }), 'file-upload', h.onNode),
    )
  })

  it('is never taught when forced either way', async () => {
    for (const mode of ['accept', 'refuse'] as const) {
      const memory = recordingMemory()
      const h = createHarness({ tokensWithoutScope: mode, scopeMemory: memory })

      await h.verifier.verify(h.signer.mint('websocket'), 'websocket')

      expect(memory.remembered).toBe(0)
    }
    const h = createHarness({ tokensWithoutScope: 'accept', scopeMemory: recordingMemory(true) })
    await expect(
      h.verifier.verify(h.signer.mint('websocket', { scope: null }), 'websocket'),
    ).resolves.toBeDefined()
  })
})
