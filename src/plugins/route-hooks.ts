import type { RouteOptions } from 'fastify'

type RouteHookName = 'onRequest' | 'preHandler' | 'preSerialization'
type RouteHook<K extends RouteHookName> = Extract<NonNullable<RouteOptions[K]>, (...args: never[]) => unknown>

/**
 * Gives one route a hook, from an onRoute hook, after the ones it has: plugins
 * add theirs in registration order, so they run in that order, as app-wide
 * hooks would. A route's own hook costs nothing on the routes that do not need
 * it, and reads its settings from a closure rather than from
 * `request.routeOptions`, which builds a new object on every access.
 */
export function addRouteHook<K extends RouteHookName> (route: RouteOptions, name: K, hook: RouteHook<K>): void {
  const current = route[name] as RouteHook<K> | RouteHook<K>[] | undefined
  // a new array: a GET route's options are shared with its HEAD twin, which gets its own hooks
  ;(route as unknown as Record<K, RouteHook<K>[]>)[name] = [...(current === undefined ? [] : [current].flat() as RouteHook<K>[]), hook]
}
