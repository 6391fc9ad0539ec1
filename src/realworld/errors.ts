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
