import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest, RouteOptions } from 'fastify'
import type { Static, TSchema } from 'typebox'
import { ArticleForbidden, CommentForbidden, NotAUser, Unauthenticated } from '../errors.js'
import { EITHER_SCHEME } from '../schemas/common.js'
import { JSON_ONLY } from './schemas.js'

/** The user a request reads as (`following`, `favorited`): null when anonymous, and for the admin, who has no user row. */
export const viewerIdOf = (request: FastifyRequest): number | null =>
  request.principal?.kind === 'user' ? request.principal.id : null

/** The user acting, on a route declared `auth: 'required'` that needs a user row (the admin gets 403). */
export function userIdOf (request: FastifyRequest): number {
  const principal = request.principal
  if (principal === null) throw Unauthenticated()
  if (principal.kind !== 'user') throw NotAUser()
  return principal.id
}

/** The house rule: an article or a comment is changed by its author or by the admin. */
export function assertAuthorOrAdmin (request: FastifyRequest, authorId: number | null, resource: 'article' | 'comment'): void {
  const principal = request.principal
  if (principal === null) throw Unauthenticated()
  if (principal.kind === 'admin') return
  if (authorId === null || authorId !== principal.id) throw resource === 'article' ? ArticleForbidden() : CommentForbidden()
}

type App = Parameters<FastifyPluginAsyncTypebox>[0]

/**
 * A POST that sets something of the calling user's (a follow, a favorite) and a DELETE that
 * clears it; either again changes nothing. The two routes differ only in that flag, `on`.
 */
export function toggleRoutes<Params extends TSchema, Response extends TSchema> (
  app: App,
  url: string,
  schema: { readonly tag: string, readonly summaries: readonly [set: string, clear: string], readonly params: Params, readonly response: Response },
  answer: (request: FastifyRequest<{ Params: Static<Params> }>, userId: number, on: boolean) => Promise<Static<Response>>
): void {
  for (const [method, on] of [['POST', true], ['DELETE', false]] as const) {
    // plain route options: the type provider cannot follow a schema that is a type parameter;
    // the schemas still validate the params and serialise the answer
    const route: RouteOptions = {
      method,
      url,
      schema: { tags: [schema.tag], summary: schema.summaries[on ? 0 : 1], security: EITHER_SCHEME, params: schema.params, response: { 200: schema.response } },
      config: { produces: JSON_ONLY, auth: 'required', statuses: [403, 404, 422] },
      handler: async (request) => await answer(request as FastifyRequest<{ Params: Static<Params> }>, userIdOf(request), on)
    }
    app.route(route)
  }
}
