import type { Express } from 'express'

/** One route an Express app answers: an upper-case method and a path in OpenAPI's form. */
export interface ServedRoute {
  readonly method: string
  /** `/api/servers/{server}/files/pull/{download}` */
  readonly path: string
}

/** The parts of router@2's layers and routes this walk reads. */
interface LayerLike {
  readonly rawPath?: unknown
  readonly slash?: boolean
  readonly route?: { readonly path: unknown; readonly methods: Record<string, boolean> }
  readonly handle?: { readonly stack?: readonly LayerLike[] }
}

/**
 * Every method and path the app's routers answer, mounted routers included: what
 * test/http/openapi.test.ts holds against the OpenAPI document. Middleware that answers any path
 * (CORS preflights, the not-found fallback) is no route. Express path parameters (`:server`)
 * come out in OpenAPI's braces (`{server}`); HEAD, which Express answers for every GET, is left
 * out. Throws on a path that is not a plain string: this table could not describe it.
 */
export function servedRoutes(app: Express): ServedRoute[] {
  const out: RouteLayer[] = []
  walk(stackOf(app), '', out)
  const seen = new Set<string>()
  return out
    .map(({ method, path }) => ({ method, path }))
    .filter((route) => {
      const key = `${route.method} ${route.path}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))
}

/**
 * The path pattern of each route object of the app (`req.route` once a route answered), in
 * OpenAPI's form: the request metrics' `route` label, computed once so that a request costs a
 * lookup, never a string built from its URL.
 */
export function routePatterns(app: Express): WeakMap<object, string> {
  const out: RouteLayer[] = []
  walk(stackOf(app), '', out)
  return new WeakMap(out.map(({ route, path }) => [route, path]))
}

interface RouteLayer extends ServedRoute {
  readonly route: object
}

function stackOf(app: Express): readonly LayerLike[] {
  return (app as unknown as { router: { stack: readonly LayerLike[] } }).router.stack
}

function walk(stack: readonly LayerLike[], prefix: string, out: RouteLayer[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const path = join(prefix, plainPath(layer.route.path))
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all' && method !== 'head') {
          out.push({ route: layer.route, method: method.toUpperCase(), path: openApiPath(path) })
        }
      }
    } else if (layer.handle?.stack) {
      walk(layer.handle.stack, layer.slash ? prefix : join(prefix, plainPath(layer.rawPath)), out)
    }
  }
}

function plainPath(path: unknown): string {
  if (typeof path !== 'string') {
    throw new Error(`servedRoutes: a route path that is not a string: ${String(path)}`)
  }
  return path
}

function join(prefix: string, path: string): string {
  if (path === '/' || path === '') return prefix === '' ? '/' : prefix
  return `${prefix}${path}`
}

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')
}
