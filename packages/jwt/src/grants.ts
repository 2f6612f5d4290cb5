/** `*` grants every permission except the `admin` ones (tokens.md §4.1). */
export function grants(permissions: readonly string[], permission: string): boolean {
  return permissions.some((p) => p === permission || (p === '*' && !permission.startsWith('admin')))
}
