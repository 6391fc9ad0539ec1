import { Type } from 'typebox'

export const ErrorSchema = Type.Object({
  status: Type.Integer(),
  message: Type.String(),
  code: Type.String(),
  requestId: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() })))
}, { $id: 'Error', description: 'Every error, from every layer' })

/** The reply of the tutorial's text endpoints: `message` is the text/plain body. */
export const textReply = (example: string) => Type.Object({ message: Type.String() }, { examples: [{ message: example }] })

/** Ids are the tutorial's `int` converter: digits only, else the route does not match (404). */
export const ID_PATTERN = '(^\\d{1,15}$)'

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 0 }) })

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'opaque cursor from a Link rel="next"' }))
})

export const Timestamp = Type.String({ format: 'date-time' })

/** Who a request acts for: the configured admin or a stored user. */
export type Principal =
  | { readonly kind: 'admin', readonly username: string }
  | { readonly kind: 'user', readonly id: number, readonly username: string }

/** The tutorial's text endpoints: text by default, JSON on request. */
export const TEXT_TYPES = ['text/plain', 'application/json']
/**
 * Data: JSON by default; XML as `application/xml` and, with the same body, as
 * `text/xml` (RFC 7303 makes them one format). text/xml comes last, so that it
 * wins only when a client asks for it over the others: application/xml on a tie,
 * and `text/*` on a list stays CSV.
 */
export const DATA_TYPES = ['application/json', 'application/xml', 'text/xml']
export const LIST_TYPES = ['application/json', 'application/xml', 'text/csv', 'text/xml']

/** OpenAPI security of routes that take either scheme. */
export const EITHER_SCHEME: Array<Record<string, string[]>> = [{ basicAuth: [] }, { bearerAuth: [] }]
