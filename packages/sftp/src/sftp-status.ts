import { isDaemonError } from '@node/shared-kernel'

import { STATUS, type StatusCode } from './protocol/constants.js'

const TEXT: Readonly<Record<StatusCode, string>> = {
  [STATUS.OK]: 'Success',
  [STATUS.EOF]: 'End of file',
  [STATUS.NO_SUCH_FILE]: 'No such file',
  [STATUS.PERMISSION_DENIED]: 'Permission denied',
  [STATUS.FAILURE]: 'Failure',
  [STATUS.BAD_MESSAGE]: 'Bad message',
  [STATUS.OP_UNSUPPORTED]: 'Operation unsupported',
  // The reference's wording for code 15.
  [STATUS.QUOTA_EXCEEDED]: 'Quota Exceeded',
}

/** An SFTP request answered with a STATUS other than OK. */
export class SftpStatusError extends Error {
  readonly code: StatusCode

  constructor(code: StatusCode, message: string = TEXT[code], options?: ErrorOptions) {
    super(message, options)
    this.name = 'SftpStatusError'
    this.code = code
  }
}

export interface StatusAnswer {
  readonly code: StatusCode
  readonly message: string
  /** Not a refusal the client caused: worth an error line in the log. */
  readonly unexpected: boolean
}

/**
 * The STATUS for a failed operation (spec behaviour §11: missing → NO_SUCH_FILE, permission →
 * PERMISSION_DENIED, others → FAILURE; a full disk → 15). Jail errors keep their user-facing text
 * when it says more than "Failure" (destination exists, is a directory, not a regular file).
 */
export function statusOf(error: unknown): StatusAnswer {
  if (error instanceof SftpStatusError) {
    return { code: error.code, message: error.message, unexpected: false }
  }
  if (isDaemonError(error)) {
    switch (error.code) {
      case 'NOT_FOUND':
        return answer(STATUS.NO_SUCH_FILE)
      case 'DENIED':
      case 'UNAUTHORIZED':
        return answer(STATUS.PERMISSION_DENIED)
      case 'QUOTA_EXCEEDED':
      case 'TOO_LARGE':
        return answer(STATUS.QUOTA_EXCEEDED)
      default:
        return { code: STATUS.FAILURE, message: error.message, unexpected: false }
    }
  }
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return answer(STATUS.NO_SUCH_FILE)
    case 'EACCES':
    case 'EPERM':
      return answer(STATUS.PERMISSION_DENIED)
    case 'ENOSPC':
    case 'EDQUOT':
      return answer(STATUS.QUOTA_EXCEEDED)
    default:
      return { code: STATUS.FAILURE, message: TEXT[STATUS.FAILURE], unexpected: true }
  }
}

function answer(code: StatusCode): StatusAnswer {
  return { code, message: TEXT[code], unexpected: false }
}
