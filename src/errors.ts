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
  new HttpError(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed here; allowed: ${allow.join(', ')}`, { allow: allow.join(', ') })

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

/** A data-layer conflict (a unique key taken), raised by repositories whatever the engine. */
export class UniqueViolation extends Error {
  override name = 'UniqueViolation'
}
