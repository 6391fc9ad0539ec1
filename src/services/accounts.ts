import { EmailTaken, InvalidCredentials, UniqueViolation, UsernameTaken, UserNotFound } from '../errors.js'
import { hashPassword, verifyPassword } from '../lib/password.js'
import type { Repositories } from '../repositories/index.js'
import type { IssuedToken } from '../repositories/tokens.js'
import type { Account, AccountChanges } from '../repositories/users.js'
import type { Principal } from '../schemas/common.js'
import type { User } from '../schemas/users.js'

export interface AccountRules {
  /** The configured admin signs in by this name, so no stored user may take it. */
  readonly adminUser: string
  readonly tokenTtlSeconds: number
  /** How long a login at /api lasts: days, as a web app's user expects. */
  readonly sessionTtlSeconds: number
}

/** The changes of PUT /api/user: a password in clear, hashed here. */
export type ProfileChanges = Omit<AccountChanges, 'passwordHash'> & { readonly password?: string }

/**
 * Creating users, logging them in and issuing tokens: the rules both APIs and
 * the CLI share, so that they cannot drift apart. Input is validated by the
 * caller against its own schema first.
 */
export function createAccounts (repos: Pick<Repositories, 'users' | 'tokens'>, rules: AccountRules) {
  const issueToken = async (principal: Principal, ttlSeconds = rules.tokenTtlSeconds): Promise<IssuedToken> =>
    await repos.tokens.issue(principal.kind === 'admin' ? null : principal.id, ttlSeconds)

  /** A taken username or email, whichever the database named. */
  const taken = (err: UniqueViolation, username: string | undefined) =>
    err.column === 'email_key' ? EmailTaken() : UsernameTaken(username ?? '')

  /**
   * Writes, turning a taken name into its 409; the admin's name is taken by the admin, refused
   * before `write` runs, so before its password is hashed (scrypt: 32 MiB and ~100 ms).
   */
  async function guarded<T> (username: string | undefined, write: () => Promise<T>): Promise<T> {
    if (username === rules.adminUser) throw UsernameTaken(username)
    try {
      return await write()
    } catch (err) {
      if (err instanceof UniqueViolation) throw taken(err, username)
      throw err
    }
  }

  return {
    /** Throws UsernameTaken for the admin's name and for a name a user has. */
    async createUser (username: string, password: string): Promise<User> {
      return await guarded(username, async () => await repos.users.create(username, await hashPassword(password)))
    },

    issueToken,

    /** A token for the user (or the admin) of that name; UserNotFound when there is none. */
    async issueTokenFor (username: string): Promise<IssuedToken> {
      if (username === rules.adminUser) return await issueToken({ kind: 'admin', username })
      const user = await repos.users.findCredentials(username)
      if (user === undefined) throw UserNotFound(username)
      return await issueToken({ kind: 'user', id: user.id, username: user.username })
    },

    /** A user who signs in by email (the RealWorld API), with a session token. */
    async register (username: string, email: string, password: string): Promise<{ account: Account, token: string }> {
      const account = await guarded(username, async () => await repos.users.createAccount({ username, email, passwordHash: await hashPassword(password) }))
      return { account, token: (await issueToken({ kind: 'user', id: account.id, username }, rules.sessionTtlSeconds)).token }
    },

    /**
     * A session token for the user with this email and password; InvalidCredentials
     * otherwise (the caller counts it as a failed authentication).
     */
    async login (email: string, password: string): Promise<{ account: Account, token: string }> {
      const found = await repos.users.findByEmail(email)
      // an unknown email costs a password check too, so that timing tells nothing
      const valid = await verifyPassword(password, found?.passwordHash ?? DECOY_HASH)
      if (found === undefined || found.passwordHash === null || !valid) throw InvalidCredentials()
      const { passwordHash: _hash, ...account } = found
      return { account, token: (await issueToken({ kind: 'user', id: account.id, username: account.username }, rules.sessionTtlSeconds)).token }
    },

    /** Changes the user's own profile; a taken username or email is a 409. Undefined when the user is gone. */
    async updateProfile (id: number, changes: ProfileChanges): Promise<Account | undefined> {
      const { password, ...rest } = changes
      return await guarded(changes.username, async () => await repos.users.updateAccount(id,
        password === undefined ? rest : { ...rest, passwordHash: await hashPassword(password) }))
    }
  }
}
export type Accounts = ReturnType<typeof createAccounts>

/**
 * Checked against when the email is unknown, so that costs as much as a wrong
 * password. Its password was random and thrown away.
 */
export const DECOY_HASH = 'scrypt$32768$8$1$5zew96BYVFAc8ayElaXCPw$EkiIgKoy4KQDQRoB8lTz2yEXirXZbnd5rn-ONEY1Y_U'
