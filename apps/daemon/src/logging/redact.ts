/** What a secret is replaced with in logs and reports. */
export const REDACTED = '[redacted]'

/** Field names whose values are secrets wherever they appear (case-insensitive). */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|token|password|passwd|secret|jwt|api_?key|private_?key|client_secret|access_token|refresh_token|x-amz-signature|x-amz-credential|x-amz-security-token)$|[_-](token|password|secret)$/i

// Order matters: userinfo and query strings of absolute URLs first, then leftovers.
const TEXT_RULES: readonly (readonly [RegExp, string])[] = [
  // Authorization header values: "Bearer <token_id>.<token>", "Basic <base64>".
  [/\bBearer\s+[^\s"',;]+/gi, `Bearer ${REDACTED}`],
  [/\bBasic\s+[A-Za-z0-9+/]{8,}={0,2}/g, `Basic ${REDACTED}`],
  // URL userinfo: scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@"'<>]+@/gi, `$1${REDACTED}@`],
  // The whole query of absolute URLs: presigned S3 URLs carry credentials and signatures there.
  [/\b(https?:\/\/[^\s"'<>?#]+)\?[^\s"'<>#]*/gi, `$1?${REDACTED}`],
  // Credentials in the query of relative URLs, e.g. /download/file?token=<jwt>.
  [
    /([?&](?:token|signature|x-amz-signature|x-amz-credential|x-amz-security-token|access_token)=)[^&\s"'#]+/gi,
    `$1${REDACTED}`,
  ],
  // JSON text with secret members.
  [/("(?:token|password|secret|authorization)"\s*:\s*")(?:[^"\\]|\\.)*"/gi, `$1${REDACTED}"`],
  // Bare JWTs (base64url of `{"...`).
  [/\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
]

/** Shorter literal secrets are not masked: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 8

/** `text` with tokens, Authorization values, URL userinfo, URL queries and `secrets` masked. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join(REDACTED)
  }
  for (const [pattern, replacement] of TEXT_RULES) out = out.replace(pattern, replacement)
  return out
}

/** Whether a field named `key` holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key)
}

/**
 * A copy of `value` safe to log: secret-named fields masked, strings passed through redactText,
 * errors reduced to name, message, code and stack. Cycles and depth beyond 8 are cut.
 */
export function redactValue(value: unknown, secrets: readonly string[] = []): unknown {
  return redactAt(value, secrets, 0, new WeakSet())
}

function redactAt(
  value: unknown,
  secrets: readonly string[],
  depth: number,
  seen: WeakSet<object>,
): unknown {
  if (typeof value === 'string') return redactText(value, secrets)
  if (typeof value === 'bigint') return value.toString()
  if (typeof value !== 'object' || value === null) return value
  if (seen.has(value)) return '[circular]'
  if (depth >= 8) return '[nested too deeply]'
  seen.add(value)
  if (value instanceof Error) {
    const code = (value as NodeJS.ErrnoException).code
    const out: Record<string, unknown> = {
      name: value.name,
      message: redactText(value.message, secrets),
    }
    if (code !== undefined) out['code'] = code
    if (value.stack !== undefined) out['stack'] = redactText(value.stack, secrets)
    if (value.cause !== undefined) out['cause'] = redactAt(value.cause, secrets, depth + 1, seen)
    return out
  }
  if (value instanceof Date) return value.toISOString()
  if (value instanceof URL) return redactText(value.href, secrets)
  if (Array.isArray(value)) return value.map((v) => redactAt(v, secrets, depth + 1, seen))
  if (value instanceof Map) {
    return redactAt(Object.fromEntries(value), secrets, depth + 1, seen)
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      isSecretKey(k) && v !== '' && v !== undefined && v !== null
        ? REDACTED
        : redactAt(v, secrets, depth + 1, seen)
  }
  return out
}
