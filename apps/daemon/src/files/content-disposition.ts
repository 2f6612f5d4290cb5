// RFC 5987 attr-char: the bytes a `filename*` value carries as they are; all others are %XX.
const ATTR_CHAR = /^[A-Za-z0-9!#$&+.^_`|~-]$/
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/**
 * `Content-Disposition: attachment` naming `name`, for every response that names a file. A name
 * of printable ASCII is sent as the reference sends it, `filename="<Go-quoted>"`. Any other name
 * gets an ASCII stand-in (each other character as `_`) plus RFC 6266's
 * `filename*=UTF-8''<percent-encoded>`, which browsers prefer: no byte of the name itself ever
 * reaches the header, so control characters, CR LF, or characters whose low byte is one (Node
 * writes a latin1 header string one byte per UTF-16 unit) cannot split the response.
 */
export function contentDisposition(name: string): string {
  if (PRINTABLE_ASCII.test(name)) return `attachment; filename=${quoted(name)}`
  const standIn = Array.from(name, (char) => (PRINTABLE_ASCII.test(char) ? char : '_')).join('')
  return `attachment; filename=${quoted(standIn)}; filename*=UTF-8''${percentEncoded(name)}`
}

/** A quoted-string of printable ASCII: `"` and `\` escaped, as Go's strconv.Quote does. */
function quoted(ascii: string): string {
  return `"${ascii.replace(/["\\]/g, '\\$&')}"`
}

/** The UTF-8 bytes of `name` (a lone surrogate as U+FFFD) with every non-attr-char as %XX. */
function percentEncoded(name: string): string {
  let out = ''
  for (const byte of Buffer.from(name, 'utf8')) {
    const char = String.fromCharCode(byte)
    out += ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}
