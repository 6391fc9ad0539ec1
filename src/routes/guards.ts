import type { FastifyRequest } from 'fastify'
import { Forbidden, Unauthenticated } from '../errors.js'
import { assertPreconditions, type Validators } from './conditional.js'
import type { Principal } from '../schemas/common.js'

/** The principal of a route declared `auth: 'required'`. */
export function principalOf (request: FastifyRequest): Principal {
  if (request.principal === null) throw Unauthenticated()
  return request.principal
}

/** Admins may act on anything; a user only on what it owns. */
export function assertOwnerOrAdmin (principal: Principal, ownerId: number | null): void {
  if (principal.kind === 'admin') return
  if (ownerId === null || principal.id !== ownerId) throw Forbidden()
}

/** Before changing an owned resource: may this principal, and is it in the state the request expects? */
export function assertMayChange (request: FastifyRequest, ownerId: number | null, current: Validators): void {
  assertOwnerOrAdmin(principalOf(request), ownerId)
  assertPreconditions(request.headers, current)
}
