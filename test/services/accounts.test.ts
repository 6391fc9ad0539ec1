import { strict as assert } from 'node:assert'
import { describe, it, type TestContext } from 'node:test'
import { HttpError, InvalidText } from '../../src/errors.js'
import { verifyPassword } from '../../src/lib/password.js'
import { createRepositories, type Repositories } from '../../src/repositories/index.js'
import { createAccounts } from '../../src/services/accounts.js'
import { assertTimestamp, countRows, openFreshDb } from '../db/fresh-db.js'

const RULES = { adminUser: 'admin', tokenTtlSeconds: 600, sessionTtlSeconds: 86_400 }

async function setUp (t: TestContext) {
  const db = await openFreshDb(t)
  const repos: Repositories = createRepositories(db)
  return { db, repos, accounts: createAccounts(repos, RULES) }
}

/** The HttpError a client would get: status, code and message. */
const httpError = (statusCode: number, code: string, message: string) => (err: unknown) => {
  assert.ok(err instanceof HttpError, `an HttpError, not ${String(err)}`)
  assert.deepEqual({ statusCode: err.statusCode, code: err.code, message: err.message }, { statusCode, code, message })
  return true
}

/** An issued token that expires `RULES.tokenTtlSeconds` from now. */
function assertIssued (issued: { token: string, expiresAt: string }, before: number): void {
  assert.match(issued.token, /^[A-Za-z0-9_-]{43}$/)
  const expires = Date.parse(issued.expiresAt)
  assert.ok(expires >= before + RULES.tokenTtlSeconds * 1000 && expires <= Date.now() + RULES.tokenTtlSeconds * 1000,
    `${issued.expiresAt} is ${RULES.tokenTtlSeconds} s from now`)
}

describe('accounts', () => {
  describe('createUser', () => {
    it('stores the user with a scrypt hash of the password, never the password', async (t) => {
      const { repos, accounts } = await setUp(t)
      const user = await accounts.createUser('alice', 'correct horse battery')
      assertTimestamp(user.createdAt)
      assert.deepEqual(user, { id: 1, username: 'alice', createdAt: user.createdAt })
      assert.deepEqual(await repos.users.findById(user.id), user)
      const credentials = await repos.users.findCredentials('alice')
      assert.ok(credentials?.passwordHash != null)
      assert.match(credentials.passwordHash, /^scrypt\$/)
      assert.ok(!credentials.passwordHash.includes('correct horse battery'))
      assert.equal(await verifyPassword('correct horse battery', credentials.passwordHash), true)
      assert.equal(await verifyPassword('correct horse batterY', credentials.passwordHash), false)
    })

    it('salts each hash: one password, two users, two hashes', async (t) => {
      const { repos, accounts } = await setUp(t)
      await accounts.createUser('alice', 'same password')
      await accounts.createUser('bob', 'same password')
      const [alice, bob] = [await repos.users.findCredentials('alice'), await repos.users.findCredentials('bob')]
      assert.notEqual(alice?.passwordHash, bob?.passwordHash)
    })

    it('refuses the admin\'s name with 409 USERNAME_TAKEN, storing nothing', async (t) => {
      const { db, accounts } = await setUp(t)
      await assert.rejects(accounts.createUser('admin', 'correct horse battery'),
        httpError(409, 'USERNAME_TAKEN', 'Conflict: the username admin is taken'))
      assert.equal(await countRows(db, 'users'), 0)
    })

    it('refuses a taken name with 409 USERNAME_TAKEN, keeping the first user\'s password', async (t) => {
      const { db, repos, accounts } = await setUp(t)
      await accounts.createUser('alice', 'first password')
      await assert.rejects(accounts.createUser('alice', 'second password'),
        httpError(409, 'USERNAME_TAKEN', 'Conflict: the username alice is taken'))
      assert.equal(await countRows(db, 'users'), 1)
      const { passwordHash } = (await repos.users.findCredentials('alice'))!
      assert.equal(await verifyPassword('first password', passwordHash!), true)
    })

    it('lets other data errors through as they are', async (t) => {
      const { accounts } = await setUp(t)
      await assert.rejects(accounts.createUser('nul\u0000name', 'correct horse battery'), InvalidText)
    })
  })

  describe('issueToken', () => {
    it('issues the admin a token without a user id', async (t) => {
      const { repos, accounts } = await setUp(t)
      const before = Date.now()
      const issued = await accounts.issueToken({ kind: 'admin', username: 'admin' })
      assertIssued(issued, before)
      assert.deepEqual(await repos.tokens.findOwner(issued.token), { userId: null, username: null })
    })

    it('issues a user a token of their own', async (t) => {
      const { repos, accounts } = await setUp(t)
      const alice = await accounts.createUser('alice', 'correct horse battery')
      const before = Date.now()
      const issued = await accounts.issueToken({ kind: 'user', id: alice.id, username: 'alice' })
      assertIssued(issued, before)
      assert.deepEqual(await repos.tokens.findOwner(issued.token), { userId: alice.id, username: 'alice' })
    })
  })

  describe('issueTokenFor', () => {
    it('issues a token for a user by name', async (t) => {
      const { repos, accounts } = await setUp(t)
      await repos.users.create('carol', null)
      const alice = await accounts.createUser('alice', 'correct horse battery')
      const before = Date.now()
      const issued = await accounts.issueTokenFor('alice')
      assertIssued(issued, before)
      assert.deepEqual(await repos.tokens.findOwner(issued.token), { userId: alice.id, username: 'alice' })
    })

    it('issues the admin\'s token for the admin\'s name', async (t) => {
      const { repos, accounts } = await setUp(t)
      const issued = await accounts.issueTokenFor('admin')
      assert.deepEqual(await repos.tokens.findOwner(issued.token), { userId: null, username: null })
    })

    it('refuses an unknown name with 404 USER_NOT_FOUND, issuing nothing', async (t) => {
      const { db, accounts } = await setUp(t)
      await accounts.createUser('alice', 'correct horse battery')
      await assert.rejects(accounts.issueTokenFor('bob'), httpError(404, 'USER_NOT_FOUND', 'Not Found: no user named bob'))
      await assert.rejects(accounts.issueTokenFor('Alice'), httpError(404, 'USER_NOT_FOUND', 'Not Found: no user named Alice'))
      assert.equal(await countRows(db, 'tokens'), 0)
    })
  })
})

describe('accounts of the RealWorld API', () => {
  /** When the newest token of `userId` expires, in milliseconds from now. */
  const expiresIn = async (db: Awaited<ReturnType<typeof setUp>>['db'], token: string) => {
    const row = await db.one<{ expires_at: string }>('SELECT expires_at FROM tokens ORDER BY id DESC LIMIT 1')
    assert.ok(row !== undefined, `no token stored for ${token.slice(0, 4)}…`)
    return Date.parse(row.expires_at) - Date.now()
  }

  it('registers a user by email and logs it in, each time with a session token of --session-ttl', async (t) => {
    const { db, repos, accounts } = await setUp(t)
    const registered = await accounts.register('ada', 'Ada@Example.org', 'difference engine')
    assert.deepEqual(registered.account, { id: 1, username: 'ada', email: 'Ada@Example.org', bio: null, image: null })
    const session = RULES.sessionTtlSeconds * 1000
    assert.ok(Math.abs(await expiresIn(db, registered.token) - session) < 60_000)
    const login = await accounts.login('ada@example.org', 'difference engine')
    assert.deepEqual(login.account, registered.account)
    assert.notEqual(login.token, registered.token)
    assert.ok(Math.abs(await expiresIn(db, login.token) - session) < 60_000)
    assert.deepEqual(await repos.tokens.findOwner(login.token), { userId: 1, username: 'ada' })
  })

  it('refuses a wrong password, an unknown email, and a user without a password, all alike', async (t) => {
    const { repos, accounts } = await setUp(t)
    await accounts.register('ada', 'ada@example.org', 'difference engine')
    await repos.users.createAccount({ username: 'nopass', email: 'nopass@example.org', passwordHash: 'x' })
    const invalid = httpError(401, 'INVALID_CREDENTIALS', 'Invalid credentials: no user has this email and password')
    await assert.rejects(accounts.login('ada@example.org', 'wrong password'), invalid)
    await assert.rejects(accounts.login('nobody@example.org', 'difference engine'), invalid)
    await assert.rejects(accounts.login('nopass@example.org', 'x'), invalid)
  })

  it('refuses a taken username, a taken email in another spelling, and the admin\'s name, naming which', async (t) => {
    const { accounts } = await setUp(t)
    await accounts.register('ada', 'ada@example.org', 'difference engine')
    await assert.rejects(accounts.register('ada', 'other@example.org', 'password123'), httpError(409, 'USERNAME_TAKEN', 'Conflict: the username ada is taken'))
    await assert.rejects(accounts.register('other', 'ADA@example.org', 'password123'), httpError(409, 'EMAIL_TAKEN', 'Conflict: the email is taken'))
    await assert.rejects(accounts.register('admin', 'admin@example.org', 'password123'), httpError(409, 'USERNAME_TAKEN', 'Conflict: the username admin is taken'))
    // PostgreSQL's sequence moved on with each refused insert: bob's id is whatever it got
    const bob = await accounts.register('bob', 'bob@example.org', 'password123')
    await assert.rejects(accounts.updateProfile(bob.account.id, { email: 'Ada@example.org' }), httpError(409, 'EMAIL_TAKEN', 'Conflict: the email is taken'))
    await assert.rejects(accounts.updateProfile(bob.account.id, { username: 'admin' }), httpError(409, 'USERNAME_TAKEN', 'Conflict: the username admin is taken'))
  })

  it('changes a password to one that logs in, and the old one no longer does', async (t) => {
    const { accounts } = await setUp(t)
    await accounts.register('ada', 'ada@example.org', 'difference engine')
    assert.deepEqual(await accounts.updateProfile(1, { password: 'analytical engine', bio: 'poet' }),
      { id: 1, username: 'ada', email: 'ada@example.org', bio: 'poet', image: null })
    assert.equal((await accounts.login('ada@example.org', 'analytical engine')).account.bio, 'poet')
    await assert.rejects(accounts.login('ada@example.org', 'difference engine'), HttpError)
  })
})
