import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { InvalidText, UniqueViolation } from '../../src/errors.js'
import { createRepositories } from '../../src/repositories/index.js'
import { createUsersRepository } from '../../src/repositories/users.js'
import { assertTimestamp, countRows, openFreshDb, UNSTORABLE_TEXT } from '../db/fresh-db.js'
import { setUpAccounts, writeArticle } from './fixtures.js'

describe('users repository', () => {
  it('creates a user and finds it by id and by name', async (t) => {
    const users = createUsersRepository(await openFreshDb(t))
    const alice = await users.create('alice', 'scrypt$hash')
    assertTimestamp(alice.createdAt)
    assert.deepEqual(alice, { id: 1, username: 'alice', createdAt: alice.createdAt })
    assert.deepEqual(await users.findById(1), alice)
    assert.deepEqual(await users.findCredentials('alice'), { id: 1, username: 'alice', passwordHash: 'scrypt$hash' })
  })

  it('stores a user without a password', async (t) => {
    const users = createUsersRepository(await openFreshDb(t))
    const bob = await users.create('bob', null)
    assert.deepEqual(await users.findCredentials('bob'), { id: bob.id, username: 'bob', passwordHash: null })
  })

  it('returns undefined for an unknown id or name', async (t) => {
    const users = createUsersRepository(await openFreshDb(t))
    await users.create('alice', null)
    assert.equal(await users.findById(2), undefined)
    assert.equal(await users.findCredentials('bob'), undefined)
    // names are compared exactly, on both engines
    assert.equal(await users.findCredentials('Alice'), undefined)
  })

  it('throws UniqueViolation for a taken username, and stores nothing', async (t) => {
    const db = await openFreshDb(t)
    const users = createUsersRepository(db)
    await users.create('alice', 'first')
    await assert.rejects(users.create('alice', 'second'), UniqueViolation)
    assert.equal(await countRows(db, 'users'), 1)
    assert.deepEqual(await users.findCredentials('alice'), { id: 1, username: 'alice', passwordHash: 'first' })
  })

  for (const [what, text] of UNSTORABLE_TEXT) {
    it(`refuses a username with ${what} with InvalidText`, async (t) => {
      const db = await openFreshDb(t)
      const users = createUsersRepository(db)
      await assert.rejects(users.create(text, null), InvalidText)
      await assert.rejects(users.findCredentials(text), InvalidText)
      assert.equal(await countRows(db, 'users'), 0)
    })
  }

  it('keeps a name with characters outside the BMP as sent', async (t) => {
    const users = createUsersRepository(await openFreshDb(t))
    const user = await users.create('😀 é', null)
    assert.equal((await users.findById(user.id))?.username, '😀 é')
  })

  it('lists users in id order, a page at a time after an id', async (t) => {
    const users = createUsersRepository(await openFreshDb(t))
    for (const name of ['carol', 'alice', 'bob', 'dave', 'erin']) await users.create(name, 'secret')
    assert.deepEqual(await users.list(2), [{ id: 1, username: 'carol' }, { id: 2, username: 'alice' }])
    assert.deepEqual(await users.list(2, 2), [{ id: 3, username: 'bob' }, { id: 4, username: 'dave' }])
    assert.deepEqual(await users.list(2, 4), [{ id: 5, username: 'erin' }])
    assert.deepEqual(await users.list(2, 5), [])
    assert.deepEqual((await users.list(10)).map((u) => u.id), [1, 2, 3, 4, 5])
  })

  it('sets a password, false for an unknown id', async (t) => {
    const users = createUsersRepository(await openFreshDb(t))
    const alice = await users.create('alice', 'old')
    assert.equal(await users.setPassword(alice.id, 'new'), true)
    assert.deepEqual(await users.findCredentials('alice'), { id: alice.id, username: 'alice', passwordHash: 'new' })
    assert.equal(await users.setPassword(99, 'new'), false)
  })

  it('deletes a user, false for an unknown id', async (t) => {
    const users = createUsersRepository(await openFreshDb(t))
    const alice = await users.create('alice', null)
    const bob = await users.create('bob', null)
    assert.equal(await users.delete(alice.id), true)
    assert.equal(await users.findById(alice.id), undefined)
    assert.deepEqual(await users.list(10), [{ id: bob.id, username: 'bob' }])
    assert.equal(await users.delete(alice.id), false)
  })

  it('frees the name of a deleted user', async (t) => {
    const users = createUsersRepository(await openFreshDb(t))
    const first = await users.create('alice', null)
    await users.delete(first.id)
    const second = await users.create('alice', null)
    assert.notEqual(second.id, first.id)
  })

  it('takes their tokens and messages with a deleted user, and keeps their articles and files', async (t) => {
    const db = await openFreshDb(t)
    const repos = createRepositories(db)
    const alice = await repos.users.create('alice', null)
    const { token } = await repos.tokens.issue(alice.id, 3600)
    const message = await repos.messages.create({ userId: alice.id, sender: 'alice', contentType: 'text/plain', body: Buffer.from('hi'), sha256: 'x', parts: [] })
    const article = await repos.articles.create({ title: 'T', summary: null, body: 'B' }, alice.id, 'alice')
    const file = await repos.files.put('a/file', { contentType: 'text/plain', body: Buffer.from('f'), sha256: 'y', ownerId: alice.id, owner: 'alice' }, false)

    assert.equal(await repos.users.delete(alice.id), true)
    assert.equal(await repos.tokens.findOwner(token), undefined)
    assert.equal(await repos.messages.findById(message.id), undefined)
    assert.deepEqual(await repos.articles.findById(article.id), { ...article, authorId: null })
    assert.deepEqual(await repos.files.find('a/file'), { ...file, ownerId: null })
  })

  it('works on a transaction, whose rollback takes the writes back', async (t) => {
    const db = await openFreshDb(t)
    const users = createUsersRepository(db)
    const alice = await users.create('alice', 'old')

    await assert.rejects(db.transaction(async (tx) => {
      const inTx = createUsersRepository(tx)
      await inTx.create('bob', null)
      assert.equal(await inTx.setPassword(alice.id, 'new'), true)
      // the transaction sees its own writes
      assert.equal((await inTx.findCredentials('alice'))?.passwordHash, 'new')
      assert.deepEqual((await inTx.list(10)).map((u) => u.username), ['alice', 'bob'])
      throw new Error('changed my mind')
    }), /changed my mind/)
    assert.equal(await users.findCredentials('bob'), undefined)
    assert.equal((await users.findCredentials('alice'))?.passwordHash, 'old')

    const carol = await db.transaction(async (tx) => await createUsersRepository(tx).create('carol', null))
    assert.deepEqual(await users.findById(carol.id), carol)
  })
})

describe('accounts', () => {
  it('find a user by email in any letter case, and refuse a second spelling of one address', async (t) => {
    const { repos } = await setUpAccounts(t)
    assert.equal((await repos.users.findByEmail('ALICE@example.ORG'))?.username, 'alice')
    await assert.rejects(repos.users.createAccount({ username: 'alice2', email: 'Alice@Example.org', passwordHash: 'x' }),
      (err: unknown) => err instanceof UniqueViolation && err.column === 'email_key')
    await assert.rejects(repos.users.createAccount({ username: 'alice', email: 'new@example.org', passwordHash: 'x' }),
      (err: unknown) => err instanceof UniqueViolation && err.column === 'username')
  })

  it('rename a user everywhere a row keeps the name it was written under', async (t) => {
    const { repos } = await setUpAccounts(t)
    const article = await writeArticle(repos, 1, 'alice', 'mine')
    const renamed = await repos.users.updateAccount(1, { username: 'alicia', bio: null })
    assert.deepEqual(renamed, { id: 1, username: 'alicia', email: 'alice@example.org', bio: null, image: null })
    assert.equal((await repos.articles.findById(article.id))?.author, 'alicia')
    assert.deepEqual((await repos.articles.page({ author: 'alicia' }, null, 5, 0)).articles.map((a) => a.id), [article.id])
    assert.equal(await repos.users.updateAccount(99, { bio: 'nobody' }), undefined)
  })
})
