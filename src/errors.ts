/** One validation problem, as listed in an error body's `errors`. */
export interface ErrorDetail {
  readonly field: string
  readonly message: string
}

/**
 * Every error a client can see. The one error handler renders it as the API's
 * error body; handlers only throw.
 */
export class HttpError extends Error {
  override name = 'HttpError'
  constructor (
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string | string[]>> = {},
    readonly errors?: readonly ErrorDetail[]
  ) {
    super(message)
  }
}

export const NotFound = (url: string, code = 'NOT_FOUND') => new HttpError(404, code, `Not Found: ${url}`)

export const MethodNotAllowed = (method: string, allow: readonly string[]) =>
  new HttpError(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed here; allowed: ${allow.length === 0 ? 'none' : allow.join(', ')}`, { allow: allow.join(', ') })

export const NotAcceptable = (offered: readonly string[]) =>
  new HttpError(406, 'NOT_ACCEPTABLE', `Not Acceptable: this resource is available as ${offered.join(', ')}`)

const ACCEPT_HEADER: Record<string, string> = { POST: 'accept-post', PATCH: 'accept-patch' }

/** 415, naming the accepted types, for POST and PATCH also in Accept-Post / Accept-Patch (RFC 9110, 5789). */
export const UnsupportedMediaType = (method: string, received: string | undefined, accepted: readonly string[]) => {
  const header = ACCEPT_HEADER[method]
  return new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE',
    `Unsupported Media Type: ${received === undefined || received === '' ? 'a body with a Content-Type is required' : received}; send one of ${accepted.join(', ')}`,
    header === undefined ? {} : { [header]: accepted.join(', ') })
}

export const BadRequest = (message: string, code = 'BAD_REQUEST', errors?: readonly ErrorDetail[]) =>
  new HttpError(400, code, message, {}, errors)

export const ValidationFailed = (errors: readonly ErrorDetail[]) =>
  new HttpError(400, 'VALIDATION_FAILED', `Invalid request: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, {}, errors)

export const PayloadTooLarge = (limit: number) =>
  new HttpError(413, 'PAYLOAD_TOO_LARGE', `Payload Too Large: the limit is ${limit} bytes`)

export const TooManyParts = (limit: number) =>
  new HttpError(413, 'TOO_MANY_PARTS', `Payload Too Large: at most ${limit} multipart fields and files`)

export const AUTH_REALM = 'restful-api'

/** The tutorial's 401, offering both schemes the API takes. */
export const Unauthenticated = (tokenError?: string) =>
  new HttpError(401, 'UNAUTHENTICATED', 'Authenticate.', {
    'www-authenticate': [
      `Basic realm="${AUTH_REALM}", charset="UTF-8"`,
      tokenError === undefined
        ? `Bearer realm="${AUTH_REALM}"`
        : `Bearer realm="${AUTH_REALM}", error="invalid_token", error_description="${tokenError}"`
    ]
  })

export const Forbidden = (message = 'Forbidden: you may not do this') => new HttpError(403, 'FORBIDDEN', message)

export const Conflict = (message: string, code = 'CONFLICT') => new HttpError(409, code, message)

export const TooManyRequests = (retryAfterSeconds: number, message = 'Too Many Requests: try again later') =>
  new HttpError(429, 'TOO_MANY_REQUESTS', message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) })

export const ServiceUnavailable = (message: string, retryAfterSeconds = 5) =>
  new HttpError(503, 'SERVICE_UNAVAILABLE', message, { 'retry-after': String(retryAfterSeconds) })

/** The database has no room left: the write was rolled back, reads go on working. */
export const InsufficientStorage = () =>
  new HttpError(507, 'INSUFFICIENT_STORAGE', 'Insufficient Storage: the database is out of space; nothing was stored')

export const PreconditionFailed = () =>
  new HttpError(412, 'PRECONDITION_FAILED', 'Precondition Failed: the resource is not in the state your If-Match, If-None-Match or If-Unmodified-Since expects')

export const InvalidKey = (why: string) => BadRequest(`Invalid key: ${why}`, 'INVALID_KEY')

export const RangeNotSatisfiable = (size: number) =>
  new HttpError(416, 'RANGE_NOT_SATISFIABLE', `Range Not Satisfiable: the file has ${size} bytes`, { 'content-range': `bytes */${size}` })

export const UnsupportedContentEncoding = (coding: string) =>
  new HttpError(415, 'UNSUPPORTED_CONTENT_ENCODING', `Unsupported Media Type: Content-Encoding ${coding} is not supported; send the body uncompressed`, { 'accept-encoding': 'identity' })

export const ExpectationFailed = () =>
  new HttpError(417, 'EXPECTATION_FAILED', 'Expectation Failed: only Expect: 100-continue is supported')

/** A client error Fastify or Node gave a status to (a timeout, headers too large), in the API's shape. */
export const ClientError = (status: number, code: string, message: string) => new HttpError(status, code, message)

export const InternalError = () => new HttpError(500, 'INTERNAL_ERROR', 'Internal Server Error')

export const UsernameTaken = (username: string) => Conflict(`Conflict: the username ${username} is taken`, 'USERNAME_TAKEN')

export const EmailTaken = () => Conflict('Conflict: the email is taken', 'EMAIL_TAKEN')

/** A login by email and password that matched no user. */
export const InvalidCredentials = () => new HttpError(401, 'INVALID_CREDENTIALS', 'Invalid credentials: no user has this email and password')

export const UserNotFound = (username: string) => new HttpError(404, 'USER_NOT_FOUND', `Not Found: no user named ${username}`)

/**
 * The data layer's own errors, whatever the engine. They carry no HTTP status:
 * the error handler (plugins/errors.ts) alone decides each one's answer. A
 * missing row is no error: repositories return undefined and the route decides.
 */
export class DataError extends Error {
  override name = 'DataError'
}

/** A unique key is taken; `column` names it where the engine says (`username`, `email_key`). */
export class UniqueViolation extends DataError {
  override name = 'UniqueViolation'
  constructor (message: string, readonly column?: string) {
    super(message)
  }
}

/** A row refers to one that does not exist (deleted meanwhile, by another request). */
export class ReferenceViolation extends DataError {
  override name = 'ReferenceViolation'
}

/** The database cannot be reached, or has no connection free: worth a retry after `retryAfterSeconds`. */
export class DatabaseUnavailable extends DataError {
  override name = 'DatabaseUnavailable'
  constructor (message: string, readonly retryAfterSeconds: number) {
    super(message)
  }
}

/** The database has no room left; the write was rolled back. */
export class DiskFull extends DataError {
  override name = 'DiskFull'
}

/** Text one of the engines would not store as sent (U+0000, a lone surrogate): refused on both. */
export class InvalidText extends DataError {
  override name = 'InvalidText'
}

// The RealWorld API's errors (under /api, plugin src/realworld/): its own shape, its own statuses

/**
 * An error of the RealWorld API, in its shape: `{"errors": {"<field>": ["<message>"]}}`, where the
 * field names what is wrong (a body field, `token`, or the resource: `article`, `profile`, `comment`).
 * The plugin's error handler (index.ts) sends it; handlers only throw.
 */
export class ConduitError extends Error {
  override name = 'ConduitError'
  constructor (
    readonly statusCode: number,
    readonly errors: Readonly<Record<string, readonly string[]>>,
    readonly headers: Readonly<Record<string, string | string[]>> = {}
  ) {
    super(Object.entries(errors).map(([field, messages]) => `${field} ${messages.join(', ')}`).join('; '))
  }
}

export const ArticleNotFound = () => new ConduitError(404, { article: ['not found'] })
export const ProfileNotFound = () => new ConduitError(404, { profile: ['not found'] })
export const CommentNotFound = () => new ConduitError(404, { comment: ['not found'] })
/** A path under /api that no route has. */
export const PathNotFound = () => new ConduitError(404, { path: ['not found'] })

export const ArticleForbidden = () => new ConduitError(403, { article: ['forbidden'] })
export const CommentForbidden = () => new ConduitError(403, { comment: ['forbidden'] })
/** The configured admin is authenticated but has no user row: no profile, follows, favorites or comments. */
export const NotAUser = () => new ConduitError(403, { user: ['forbidden'] })
