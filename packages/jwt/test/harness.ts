import {
  isDaemonError,
  isInvalidTokenError,
  TOKEN_ERROR_MESSAGES,
  type InvalidTokenError,
} from '@node/shared-kernel'
import { FakeClock } from '@node/shared-kernel/testing'
import { expect } from 'vitest'

import {
  BoundedTokenDenyList,
  JwtTokenVerifier,
  WebsocketTokenPolicy,
  type BoundedTokenDenyListOptions,
  type JwtTokenVerifierOptions,
} from '../src/index.js'
import { NODE_TOKEN, SERVER_UUID } from './fixtures/panel-worked-example.js'
import { PanelTokenSigner } from './panel-token-signer.js'

export interface Harness {
  readonly clock: FakeClock
  readonly signer: PanelTokenSigner
  readonly verifier: JwtTokenVerifier
  readonly denyList: BoundedTokenDenyList
  readonly policy: WebsocketTokenPolicy
  /** `hasServer` of a node holding only the example server. */
  readonly onNode: { hasServer(uuid: string): boolean }
}

/** 2026-01-01T12:00:00.250Z: mid-second, as real clocks are. */
export const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 250)
export const NOW_SECONDS = Math.floor(NOW / 1000)

export type HarnessOptions = Partial<JwtTokenVerifierOptions> &
  Pick<BoundedTokenDenyListOptions, 'bootedAt' | 'maxDeniedEntries'>

/**
 * A verifier, its deny list and the websocket policy of a node booted an hour before `NOW`, and a
 * Panel signing with its token.
 */
export function createHarness(options: HarnessOptions = {}): Harness {
  const { bootedAt, maxDeniedEntries, ...verifierOptions } = options
  const clock = new FakeClock(NOW)
  const denyList = new BoundedTokenDenyList({
    clock,
    // `bootedAt: undefined` given on purpose: the deny list's own default (now).
    ...('bootedAt' in options
      ? bootedAt === undefined
        ? {}
        : { bootedAt }
      : { bootedAt: NOW - 3_600_000 }),
    ...(maxDeniedEntries === undefined ? {} : { maxDeniedEntries }),
    ...(options.maxTokenLifetimeSeconds === undefined
      ? {}
      : { maxTokenLifetimeSeconds: options.maxTokenLifetimeSeconds }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  })
  const verifier = new JwtTokenVerifier({
    nodeToken: () => NODE_TOKEN,
    clock,
    denyList,
    ...verifierOptions,
  })
  const policy = new WebsocketTokenPolicy({
    denyList,
    clock,
    acceptsScopeless: () => verifier.acceptsScopeless(),
  })
  const signer = new PanelTokenSigner({ now: () => clock.now() })
  return {
    clock,
    signer,
    verifier,
    denyList,
    policy,
    onNode: { hasServer: (uuid) => uuid === SERVER_UUID },
  }
}

/** The rejection of `promise`; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
    },
    (err: unknown) => err,
  )
}

/** Answered by HTTP with the generic 500 and by the websocket with `daemon error`. */
export async function expectInvalid(promise: Promise<unknown>): Promise<InvalidTokenError> {
  const err = await rejectionOf(promise)
  expect(isInvalidTokenError(err), String(err)).toBe(true)
  expect(isDaemonError(err)).toBe(false)
  return err as InvalidTokenError
}

/** A `jwt error` text on the websocket, or `Forbidden.` (403) for transfers. */
export async function expectDenied(promise: Promise<unknown>, message: string): Promise<void> {
  const err = await rejectionOf(promise)
  expect(isDaemonError(err) && { code: err.code, message: err.message }, String(err)).toEqual({
    code: 'DENIED',
    message,
  })
}

/** The signed-URL endpoints' 404. */
export async function expectNotFound(promise: Promise<unknown>): Promise<void> {
  const err = await rejectionOf(promise)
  expect(isDaemonError(err) && { code: err.code, message: err.message }, String(err)).toEqual({
    code: 'NOT_FOUND',
    message: TOKEN_ERROR_MESSAGES.resourceNotFound,
  })
}
