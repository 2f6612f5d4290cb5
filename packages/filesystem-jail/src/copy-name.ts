/**
 * The names `POST /files/copy` tries, in order (http-api §7.4): `<base> copy<ext>`, then
 * `<base> copy 1<ext>` … `<base> copy 50<ext>`, and last `<base>copy.<RFC 3339 time><ext>`.
 * The extension is Go's `filepath.Ext` (from the last dot, so `.env` is all extension), with a
 * preceding `.tar` counted in (`a.tar.gz` → `a copy.tar.gz`).
 */
export function copyNameCandidates(name: string, now: Date): string[] {
  const dot = name.lastIndexOf('.')
  let ext = dot === -1 ? '' : name.slice(dot)
  let base = dot === -1 ? name : name.slice(0, dot)
  if (base.endsWith('.tar')) {
    ext = `.tar${ext}`
    base = base.slice(0, -'.tar'.length)
  }
  const names = [`${base} copy${ext}`]
  for (let i = 1; i <= 50; i++) names.push(`${base} copy ${i}${ext}`)
  names.push(`${base}copy.${rfc3339(now)}${ext}`)
  return names
}

/** Go's time.RFC3339 in the local zone: `2006-01-02T15:04:05-07:00`, or `Z` for UTC. */
export function rfc3339(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0')
  const offset = -date.getTimezoneOffset()
  const zone =
    offset === 0
      ? 'Z'
      : `${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${zone}`
  )
}
