import { describe, expect, it } from 'vitest'

import { isSecretKey, REDACTED, redactText, redactValue } from './redact.js'

describe('redactText', () => {
  it('masks Authorization values', () => {
    expect(redactText('Authorization: Bearer abc.def')).toBe(`Authorization: Bearer ${REDACTED}`)
    expect(redactText('Basic dXNlcjpwYXNzd29yZA==')).toBe(`Basic ${REDACTED}`)
    expect(redactText('Basic setup finished')).toBe('Basic setup finished')
  })

  it('masks URL userinfo and the query of absolute URLs', () => {
    expect(redactText('GET https://u:p@panel.example.com/x?y=1 done')).toBe(
      `GET https://${REDACTED}@panel.example.com/x?${REDACTED} done`,
    )
    expect(redactText('s3 "https://b.s3.amazonaws.com/k?X-Amz-Signature=abc"')).toBe(
      `s3 "https://b.s3.amazonaws.com/k?${REDACTED}"`,
    )
    expect(redactText('https://panel.example.com/api/remote/servers')).toBe(
      'https://panel.example.com/api/remote/servers',
    )
  })

  it('masks credentials in relative URLs, JSON text and bare JWTs', () => {
    expect(redactText('/upload/file?token=abc&directory=/')).toBe(
      `/upload/file?token=${REDACTED}&directory=/`,
    )
    expect(redactText('{"token":"s3cr\\"et","name":"x"}')).toBe(
      `{"token":"${REDACTED}","name":"x"}`,
    )
    expect(redactText('jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature ok')).toBe(
      `jwt ${REDACTED} ok`,
    )
  })

  it('masks literal secrets of eight characters or more', () => {
    expect(redactText('token is abcdefgh1234', ['abcdefgh1234'])).toBe(`token is ${REDACTED}`)
    expect(redactText('short abc', ['abc'])).toBe('short abc')
  })
})

describe('redactValue', () => {
  it('masks secret-named fields at any depth, keeps token_id', () => {
    expect(
      redactValue({
        token: 't',
        token_id: 'id',
        nested: { Password: 'p', list: [{ api_key: 'k' }], empty_token: '' },
      }),
    ).toEqual({
      token: REDACTED,
      token_id: 'id',
      nested: { Password: REDACTED, list: [{ api_key: REDACTED }], empty_token: '' },
    })
  })

  it('reduces errors to name, message, code, stack and cause, redacted', () => {
    const cause = Object.assign(new Error('connect https://u:p@h/'), { code: 'ECONNREFUSED' })
    const value = redactValue(new Error('failed', { cause })) as Record<string, unknown>

    expect(value).toMatchObject({
      name: 'Error',
      message: 'failed',
      cause: { name: 'Error', message: `connect https://${REDACTED}@h/`, code: 'ECONNREFUSED' },
    })
    expect(typeof value['stack']).toBe('string')
  })

  it('survives cycles and odd values', () => {
    const cyclic: Record<string, unknown> = {
      n: 1n,
      d: new Date(0),
      u: new URL('https://a:b@h/?q=1'),
    }
    cyclic['self'] = cyclic

    expect(redactValue(cyclic)).toEqual({
      n: '1',
      d: '1970-01-01T00:00:00.000Z',
      u: `https://${REDACTED}@h/?${REDACTED}`,
      self: '[circular]',
    })
  })

  it('knows which field names hold secrets', () => {
    expect(
      ['authorization', 'X-Amz-Signature', 'refresh_token', 'password'].every(isSecretKey),
    ).toBe(true)
    expect(['token_id', 'server_id', 'keyword'].some(isSecretKey)).toBe(false)
  })
})
