import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createTokensRepository } from '../../src/repositories/tokens.js'
import { createUsersRepository } from '../../src/repositories/users.js'
import { sha256 } from '../helper.js'
import { countRows, ISO_TIMESTAMP, openFreshDb } from '../db/fresh-db.js'

const TOKEN = /^[A-Za-z0-9_-]{43}$/

describe('tokens repository', () => {
  it('issues a random 256-bit token that expires after the ttl', async (t) => {
    const tokens = createTokensRepository(await openFreshDb(t))
    const before = Date.now()
    const issued = await tokens.issue(null, 3600)
    const after = Date.now()
    assert.deepEqual(Object.keys(issued).sort(), ['expiresAt', 'token'])
    assert.match(issued.token, TOKEN)
    assert.equal(Buffer.from(issued.token, 'base64url').length, 32)
    assert.match(issued.expiresAt, ISO_TIMESTAMP)
    const expires = Date.parse(issued.expiresAt)
    assert.ok(expires >= before + 3600_000 && expires <= after + 3600_000, `${issued.expiresAt} is an hour from now`)
    assert.notEqual((await tokens.issue(null, 3600)).token, issued.token)
  })

  it('stores only the SHA-256 of a token, with its expiry', async (t) => {
    const db = await openFreshDb(t)
    const tokens = createTokensRepository(db)
    const { token, expiresAt } = await tokens.issue(null, 60)
    const rows = await db.all<{ token_hash: string, user_id: number | null, expires_at: string }>('SELECT token_hash, user_id, expires_at FROM tokens')
    assert.deepEqual(rows, [{ token_hash: sha256(token), user_id: null, expires_at: expiresAt }])
  })

  it('finds the owner of a user\'s token and of the admin\'s', async (t) => {
    const db = await openFreshDb(t)
    const tokens = createTokensRepository(db)
    const alice = await createUsersRepository(db).create('alice', null)
    const forAlice = await tokens.issue(alice.id, 3600)
    const forAdmin = await tokens.issue(null, 3600)
    assert.deepEqual(await tokens.findOwner(forAlice.token), { userId: alice.id, username: 'alice' })
    assert.deepEqual(await tokens.findOwner(forAdmin.token), { userId: null, username: null })
  })

  it('finds no owner for an unknown token', async (t) => {
    const tokens = createTokensRepository(await openFreshDb(t))
    const { token } = await tokens.issue(null, 3600)
    assert.equal(await tokens.findOwner(token.slice(1)), undefined)
    assert.equal(await tokens.findOwner(''), undefined)
    // the token is hashed before it reaches the database, so even a NUL is just a miss
    assert.equal(await tokens.findOwner('\u0000'), undefined)
  })

  it('finds no owner for an expired token', async (t) => {
    const tokens = createTokensRepository(await openFreshDb(t))
    const { token, expiresAt } = await tokens.issue(null, 0)
    assert.ok(Date.parse(expiresAt) <= Date.now())
    assert.equal(await tokens.findOwner(token), undefined)
  })

  it('honours a token until its expiry, not at it', async (t) => {
    const tokens = createTokensRepository(await openFreshDb(t))
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
    const { token, expiresAt } = await tokens.issue(null, 60)
    assert.equal(Date.parse(expiresAt), Date.now() + 60_000)
    t.mock.timers.tick(59_999)
    assert.deepEqual(await tokens.findOwner(token), { userId: null, username: null })
    t.mock.timers.tick(1)
    assert.equal(await tokens.findOwner(token), undefined)
  })

  it('drops expired tokens when it issues one', async (t) => {
    const db = await openFreshDb(t)
    const tokens = createTokensRepository(db)
    const expired = await tokens.issue(null, -1)
    assert.equal(await countRows(db, 'tokens'), 1)
    const live = await tokens.issue(null, 3600)
    assert.equal(await countRows(db, 'tokens'), 1)
    assert.equal(await tokens.revoke(expired.token), false)
    assert.deepEqual(await tokens.findOwner(live.token), { userId: null, username: null })
    await tokens.issue(null, 3600)
    assert.equal(await countRows(db, 'tokens'), 2)
  })

  it('revokes a token, false for one it does not hold', async (t) => {
    const tokens = createTokensRepository(await openFreshDb(t))
    const revoked = await tokens.issue(null, 3600)
    const kept = await tokens.issue(null, 3600)
    assert.equal(await tokens.revoke(revoked.token), true)
    assert.equal(await tokens.findOwner(revoked.token), undefined)
    assert.equal(await tokens.revoke(revoked.token), false)
    assert.equal(await tokens.revoke('never issued'), false)
    assert.deepEqual(await tokens.findOwner(kept.token), { userId: null, username: null })
  })

  it('refuses a token for a user that does not exist', async (t) => {
    const db = await openFreshDb(t)
    await assert.rejects(createTokensRepository(db).issue(42, 3600))
    assert.equal(await countRows(db, 'tokens'), 0)
  })

  it('works on a transaction, whose rollback takes the token back', async (t) => {
    const db = await openFreshDb(t)
    const tokens = createTokensRepository(db)
    let issued: string | undefined
    await assert.rejects(db.transaction(async (tx) => {
      const inTx = createTokensRepository(tx)
      issued = (await inTx.issue(null, 3600)).token
      assert.deepEqual(await inTx.findOwner(issued), { userId: null, username: null })
      throw new Error('changed my mind')
    }), /changed my mind/)
    assert.equal(await tokens.findOwner(issued!), undefined)
    assert.equal(await countRows(db, 'tokens'), 0)

    const { token } = await db.transaction(async (tx) => await createTokensRepository(tx).issue(null, 3600))
    assert.deepEqual(await tokens.findOwner(token), { userId: null, username: null })
  })
})
