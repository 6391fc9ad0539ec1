import { UniqueViolation, UsernameTaken, UserNotFound } from '../errors.js'
import { hashPassword } from '../lib/password.js'
import type { Repositories } from '../repositories/index.js'
import type { IssuedToken } from '../repositories/tokens.js'
import type { Principal } from '../schemas/common.js'
import type { User } from '../schemas/users.js'

export interface AccountRules {
  /** The configured admin signs in by this name, so no stored user may take it. */
  readonly adminUser: string
  readonly tokenTtlSeconds: number
}

/**
 * Creating users and issuing tokens: the rules the API and the CLI share, so
 * that `POST /users` and `restful-api users add` cannot drift apart. Input is
 * validated by the caller against the same schema (CreateUserBody).
 */
export function createAccounts (repos: Pick<Repositories, 'users' | 'tokens'>, rules: AccountRules) {
  const issueToken = async (principal: Principal): Promise<IssuedToken> =>
    await repos.tokens.issue(principal.kind === 'admin' ? null : principal.id, rules.tokenTtlSeconds)

  return {
    /** Throws UsernameTaken for the admin's name and for a name a user has. */
    async createUser (username: string, password: string): Promise<User> {
      if (username === rules.adminUser) throw UsernameTaken(username)
      try {
        return await repos.users.create(username, await hashPassword(password))
      } catch (err) {
        if (err instanceof UniqueViolation) throw UsernameTaken(username)
        throw err
      }
    },

    issueToken,

    /** A token for the user (or the admin) of that name; UserNotFound when there is none. */
    async issueTokenFor (username: string): Promise<IssuedToken> {
      if (username === rules.adminUser) return await issueToken({ kind: 'admin', username })
      const user = await repos.users.findCredentials(username)
      if (user === undefined) throw UserNotFound(username)
      return await issueToken({ kind: 'user', id: user.id, username: user.username })
    }
  }
}
export type Accounts = ReturnType<typeof createAccounts>
