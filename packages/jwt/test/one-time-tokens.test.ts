import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { SERVER_UUID, USER_UUID } from './fixtures/panel-worked-example.js'
import { splitToken } from './forge-token.js'
import { createHarness, expectInvalid, expectNotFound } from './harness.js'

describe('JwtTokenVerifier one-time tokens', () => {
  it('accepts a download token once and answers a replay with 404', async () => {
    const h = createHarness()
    const token = h.signer.mint('file-download')

    await expect(h.verifier.redeem(token, 'file-download', h.onNode)).resolves.toBeDefined()
    h.clock.advance(30_000)

    await expectNotFound(h.verifier.redeem(token, 'file-download', h.onNode))
  })

  it('lets exactly one of many concurrent requests with the same token through', async () => {
    const h = createHarness()
    const token = h.signer.mint('file-upload')

    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => h.verifier.redeem(token, 'file-upload', h.onNode)),
    )

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(49)
  })

  it('lets each of many concurrent distinct tokens through once', async () => {
    const h = createHarness()
    const tokens = Array.from({ length: 20 }, () => h.signer.mint('backup-download'))

    const outcomes = await Promise.allSettled(
      [...tokens, ...tokens].map((t) => h.verifier.redeem(t, 'backup-download', h.onNode)),
    )

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(20)
  })

  it('refuses a second token carrying a unique_id already used, whatever its purpose', async () => {
    const h = createHarness()
    const first = h.signer.mint('file-download')
    const { unique_id } = splitToken(first).payload as { unique_id: string }
    const second = h.signer.mint('file-upload', { claims: { unique_id } })

    await h.verifier.redeem(first, 'file-download', h.onNode)

    await expectNotFound(h.verifier.redeem(second, 'file-upload', h.onNode))
  })

  it('does not use the id up when the server is not on this node', async () => {
    const h = createHarness()
    const token = h.signer.mint('file-download')

    await expectNotFound(h.verifier.redeem(token, 'file-download', { hasServer: () => false }))

    await expect(h.verifier.redeem(token, 'file-download', h.onNode)).resolves.toBeDefined()
  })

  it('does not use the id up when the token is refused before (signature, scope, deny list)', async () => {
    const h = createHarness()
    const token = h.signer.mint('file-upload', { issuedAt: Math.floor(h.clock.now() / 1000) - 5 })
    const { unique_id } = splitToken(token).payload as { unique_id: string }

    await expectInvalid(
      h.verifier.redeem(
        h.signer.mint('file-upload', { key: 'forged', claims: { unique_id } }),
        'file-upload',
        h.onNode,
      ),
    )
    await expectNotFound(
      h.verifier.redeem(
        h.signer.mint('file-download', { claims: { unique_id } }),
        'file-upload',
        h.onNode,
      ),
    )
    h.denyList.deauthorizeUser(USER_UUID, [SERVER_UUID])
    await expectNotFound(
      h.verifier.redeem(
        h.signer.mint('file-upload', {
          issuedAt: Math.floor(h.clock.now() / 1000) - 10,
          claims: { unique_id },
        }),
        'file-upload',
        h.onNode,
      ),
    )
    await expectNotFound(h.verifier.redeem(token, 'file-upload', h.onNode))
    h.clock.advance(1000)

    await expect(
      h.verifier.redeem(
        h.signer.mint('file-upload', { claims: { unique_id } }),
        'file-upload',
        h.onNode,
      ),
    ).resolves.toBeDefined()
  })

  it('still refuses a replay 59 minutes later while the token is valid', async () => {
    const h = createHarness()
    const token = h.signer.mint('file-download', { lifetimeSeconds: 3600 })
    await h.verifier.redeem(token, 'file-download', h.onNode)

    h.clock.advance(59 * 60_000)

    await expectNotFound(h.verifier.redeem(token, 'file-download', h.onNode))
  })

  it('refuses new tokens rather than forget ids of tokens still valid when the store is full', async () => {
    const logger = new MemoryLogger()
    const h = createHarness({ maxOneTimeTokens: 3, logger })
    for (let i = 0; i < 3; i++) {
      await h.verifier.redeem(h.signer.mint('file-upload'), 'file-upload', h.onNode)
    }
    const waiting = h.signer.mint('file-upload', { lifetimeSeconds: 1800 })

    await expectNotFound(h.verifier.redeem(waiting, 'file-upload', h.onNode))
    expect(logger.records.map((r) => r.level)).toContain('warn')

    h.clock.advance(901_000)
    await expect(h.verifier.redeem(waiting, 'file-upload', h.onNode)).resolves.toBeDefined()
  })

  it('keeps working through far more tokens than its limit as they expire', async () => {
    const h = createHarness({ maxOneTimeTokens: 10 })

    for (let i = 0; i < 500; i++) {
      const token = h.signer.mint('file-download', { lifetimeSeconds: 60 })
      await expect(h.verifier.redeem(token, 'file-download', h.onNode)).resolves.toBeDefined()
      await expectNotFound(h.verifier.redeem(token, 'file-download', h.onNode))
      h.clock.advance(7_000)
    }
  })
})
