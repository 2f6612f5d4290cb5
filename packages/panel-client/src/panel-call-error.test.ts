import { describe, expect, it } from 'vitest'

import { decodePanelError, formatPanelError, PanelCallError } from './panel-call-error.js'

describe('decodePanelError', () => {
  it('uses the first entry of the Panel error envelope', () => {
    const body = JSON.stringify({
      errors: [
        { code: 'ValidationException', status: '422', detail: 'The successful field is required.' },
        { code: 'ValidationException', status: '422', detail: 'Second.' },
      ],
    })

    const error = decodePanelError(422, body)

    expect(formatPanelError(error)).toBe(
      'Error response from Panel: ValidationException: The successful field is required. (HTTP/422)',
    )
  })

  it('keeps an empty detail, as the Panel sends for an unknown server', () => {
    const body = '{"errors":[{"code":"RecordNotFoundException","status":"404","detail":""}]}'

    expect(formatPanelError(decodePanelError(404, Buffer.from(body)))).toBe(
      'Error response from Panel: RecordNotFoundException:  (HTTP/404)',
    )
  })

  it.each([
    ['an empty body', ''],
    ['an HTML error page', '<html><body>502 Bad Gateway</body></html>'],
    ['an empty errors list', '{"errors":[]}'],
    ['a different shape', '{"message":"Server Error"}'],
    ['errors that are not objects', '{"errors":["boom"]}'],
  ])('reports a missing response code for %s', (_, body) => {
    expect(formatPanelError(decodePanelError(502, body))).toBe(
      'Error response from Panel: _MissingResponseCode: No error response returned from API endpoint. (HTTP/502)',
    )
  })

  it('reports the HTTP status of the answer, not the status inside the body', () => {
    const body = '{"errors":[{"code":"HttpException","status":"401","detail":"Nope."}]}'

    expect(decodePanelError(403, body).status).toBe(403)
  })
})

describe('PanelCallError', () => {
  it('names the call and keeps the Panel wording verbatim', () => {
    const response = decodePanelError(500, '{"errors":[{"code":"Error","detail":"Boom."}]}')

    const error = new PanelCallError(formatPanelError(response), {
      action: 'fetch server configuration',
      call: 'GET /api/remote/servers/d3aac109',
      attempts: 9,
      response,
    })

    expect(error.message).toBe(
      'failed to fetch server configuration (GET /api/remote/servers/d3aac109): Error response from Panel: Error: Boom. (HTTP/500) (after 9 attempts)',
    )
    expect([error.status, error.panelCode, error.detail]).toEqual([500, 'Error', 'Boom.'])
  })
})
