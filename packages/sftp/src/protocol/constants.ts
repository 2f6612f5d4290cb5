// SFTP version 3 (draft-ietf-secsh-filexfer-02), the version OpenSSH, FileZilla and WinSCP speak.

export const PACKET = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  SETSTAT: 9,
  FSETSTAT: 10,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  RMDIR: 15,
  REALPATH: 16,
  STAT: 17,
  RENAME: 18,
  READLINK: 19,
  SYMLINK: 20,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const

/** SSH_FX_* codes; 15 (quota exceeded) comes from later drafts, as the reference sends it. */
export const STATUS = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  OP_UNSUPPORTED: 8,
  QUOTA_EXCEEDED: 15,
} as const

export type StatusCode = (typeof STATUS)[keyof typeof STATUS]

export const OPEN_FLAG = {
  READ: 0x01,
  WRITE: 0x02,
  APPEND: 0x04,
  CREAT: 0x08,
  TRUNC: 0x10,
  EXCL: 0x20,
} as const

export const ATTR_FLAG = {
  SIZE: 0x01,
  UIDGID: 0x02,
  PERMISSIONS: 0x04,
  ACMODTIME: 0x08,
  EXTENDED: 0x80000000,
} as const

/** Largest packet accepted or sent (OpenSSH's sftp-server uses the same bound). */
export const MAX_PACKET_BYTES = 256 * 1024
/** Largest READ answered and WRITE accepted: a packet minus room for its header. */
export const MAX_DATA_BYTES = MAX_PACKET_BYTES - 1024
/** OpenSSH's extension that tells clients the limits above (and the open-handle cap). */
export const LIMITS_EXTENSION = 'limits@openssh.com'
