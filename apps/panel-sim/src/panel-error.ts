/** One entry of the Panel's JSON error envelope (panel-contract.md C.0). */
export interface PanelErrorEntry {
  readonly code: string
  /** The HTTP status as a string, as the Panel writes it. */
  readonly status: string
  readonly detail: string
  readonly meta?: { readonly source_field: string; readonly rule: string }
}

/** A failure the simulator answers with the Panel's envelope `{"errors":[…]}`. */
export class PanelError extends Error {
  readonly status: number
  readonly entries: readonly PanelErrorEntry[]
  readonly headers: Readonly<Record<string, string>>

  constructor(
    status: number,
    code: string,
    detail: string,
    options: { headers?: Record<string, string>; entries?: PanelErrorEntry[] } = {},
  ) {
    super(detail)
    this.name = 'PanelError'
    this.status = status
    this.entries = options.entries ?? [{ code, status: String(status), detail }]
    this.headers = options.headers ?? {}
  }

  get body(): { errors: readonly PanelErrorEntry[] } {
    return { errors: this.entries }
  }
}

/** The Panel's texts and exception classes, in one place so routes stay terse. */
export const PanelErrors = {
  noAuthorizationHeader: () =>
    new PanelError(
      401,
      'HttpException',
      'Access to this endpoint must include an Authorization header.',
      { headers: { 'WWW-Authenticate': 'Bearer' } },
    ),
  badAuthorizationFormat: () =>
    new PanelError(
      400,
      'BadRequestHttpException',
      'The Authorization header provided was not in a valid format.',
    ),
  notAuthorized: () =>
    new PanelError(
      403,
      'AccessDeniedHttpException',
      'You are not authorized to access this resource.',
    ),
  serverNotFound: () => new PanelError(404, 'RecordNotFoundException', ''),
  resourceNotFound: () =>
    new PanelError(
      404,
      'NotFoundHttpException',
      'The requested resource could not be found on the server.',
    ),
  methodNotAllowed: (method: string, path: string, allowed: readonly string[]) =>
    new PanelError(
      405,
      'MethodNotAllowedHttpException',
      `The ${method} method is not supported for route ${path.replace(/^\//, '')}. Supported methods: ${allowed.join(', ')}.`,
    ),
  unexpected: (code = 'Error') =>
    new PanelError(
      500,
      code,
      'An unexpected error was encountered while processing this request, please try again.',
    ),
  /** 422 with one entry per failed rule (Laravel's validator, as the Panel's handler renders it). */
  validation: (failures: readonly { field: string; rule: string; message: string }[]) =>
    new PanelError(
      422,
      'ValidationException',
      failures[0]?.message ?? 'The given data was invalid.',
      {
        entries: failures.map((f) => ({
          code: 'ValidationException',
          status: '422',
          detail: f.message,
          meta: { source_field: f.field, rule: f.rule },
        })),
      },
    ),
  notTransferring: () =>
    new PanelError(409, 'ConflictHttpException', 'Server is not being transferred.'),
  sftpBadCredentials: () =>
    new PanelError(
      403,
      'HttpForbiddenException',
      'Authorization credentials were not correct, please try again.',
    ),
} as const
