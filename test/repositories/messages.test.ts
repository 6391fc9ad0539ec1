import { strict as assert } from 'node:assert'
import { describe, it, type TestContext } from 'node:test'
import type { Db } from '../../src/db/index.js'
import { InvalidText, ReferenceViolation } from '../../src/errors.js'
import { createMessagesRepository, type NewMessage, type NewPart } from '../../src/repositories/messages.js'
import { createUsersRepository } from '../../src/repositories/users.js'
import { binaryWithNuls, sha256 } from '../helper.js'
import { assertTimestamp, countRows, openFreshDb, UNSTORABLE_TEXT } from '../db/fresh-db.js'

/** A fresh database with the users alice (1) and bob (2), and the messages repository on it. */
async function setUp (t: TestContext): Promise<{ db: Db, messages: ReturnType<typeof createMessagesRepository> }> {
  const db = await openFreshDb(t)
  const users = createUsersRepository(db)
  await users.create('alice', null)
  await users.create('bob', null)
  return { db, messages: createMessagesRepository(db) }
}

const ALICE = { userId: 1, sender: 'alice' }
const BOB = { userId: 2, sender: 'bob' }
const ANONYMOUS = { userId: null, sender: null }

const text = (body: string, from: Pick<NewMessage, 'userId' | 'sender'> = ALICE): NewMessage =>
  ({ ...from, contentType: 'text/plain', body: Buffer.from(body), sha256: sha256(body), parts: [] })

const part = (name: string, body: Buffer | string, filename: string | null = null, contentType: string | null = null): NewPart =>
  ({ name, filename, contentType, body: Buffer.from(body), sha256: sha256(body) })

const ids = (messages: ReadonlyArray<{ id: number }>) => messages.map((m) => m.id)

describe('messages repository', () => {
  it('stores a message with its parts and deletes them together', async (t) => {
    const { db, messages } = await setUp(t)
    const body = Buffer.from([0, 1, 2, 255])
    const stored = await messages.create({
      userId: 2,
      sender: 'bob',
      contentType: 'multipart/form-data; boundary=x',
      body,
      sha256: 'abc',
      parts: [{ name: 'f', filename: 'a.bin', contentType: 'application/octet-stream', body: Buffer.from('xyz'), sha256: 'def' }]
    })
    assert.deepEqual(await messages.findById(stored.id), stored)
    assert.deepEqual(stored.parts, [{ name: 'f', filename: 'a.bin', contentType: 'application/octet-stream', size: 3, sha256: 'def' }])
    assert.deepEqual((await messages.content(stored.id))?.body, body)
    assert.deepEqual((await messages.list(10, undefined, 2)).map((m) => m.id), [stored.id])
    assert.deepEqual(await messages.list(10, undefined, 1), [])
    assert.equal(await messages.delete(stored.id), true)
    assert.equal(await countRows(db, 'message_parts'), 0)
  })

  it('creates a message and finds it by id', async (t) => {
    const { messages } = await setUp(t)
    const created = await messages.create(text('Hello'))
    assertTimestamp(created.createdAt)
    assert.deepEqual(created, {
      id: 1,
      contentType: 'text/plain',
      size: 5,
      sha256: sha256('Hello'),
      owner: 'alice',
      createdAt: created.createdAt,
      parts: [],
      userId: 1
    })
    assert.deepEqual(await messages.findById(1), created)
    assert.deepEqual(await messages.content(1), { contentType: 'text/plain', body: Buffer.from('Hello') })
  })

  it('stores an anonymous message, and the admin\'s, with a null user id', async (t) => {
    const { messages } = await setUp(t)
    const anonymous = await messages.create(text('anon', ANONYMOUS))
    const admin = await messages.create(text('admin', { userId: null, sender: 'admin' }))
    assert.deepEqual(await messages.findById(anonymous.id), { ...anonymous, owner: null, userId: null })
    assert.deepEqual(await messages.findById(admin.id), { ...admin, owner: 'admin', userId: null })
  })

  it('returns undefined for an unknown id, for the message and its content', async (t) => {
    const { messages } = await setUp(t)
    await messages.create(text('Hello'))
    assert.equal(await messages.findById(2), undefined)
    assert.equal(await messages.content(2), undefined)
  })

  it('gives bodies back byte for byte: NULs, an empty body, an empty part', async (t) => {
    const { messages } = await setUp(t)
    const binary = binaryWithNuls(64 * 1024)
    const withNuls = await messages.create({ ...ALICE, contentType: 'application/octet-stream', body: binary, sha256: sha256(binary), parts: [] })
    assert.equal(withNuls.size, binary.length)
    assert.deepEqual(await messages.content(withNuls.id), { contentType: 'application/octet-stream', body: binary })

    const empty = await messages.create({ ...text(''), parts: [part('empty', '')] })
    assert.deepEqual(await messages.content(empty.id), { contentType: 'text/plain', body: Buffer.alloc(0) })
    assert.deepEqual((await messages.findById(empty.id))?.parts, [{ name: 'empty', filename: null, contentType: null, size: 0, sha256: sha256('') }])
  })

  it('keeps the order of the parts, past ten of them', async (t) => {
    const { messages } = await setUp(t)
    const names = ['zeta', 'alpha', 'mid', 'beta', 'omega', 'a', 'z', 'k', 'c', 'b', 'y', 'x']
    const parts = names.map((name, i) => i % 2 === 0
      ? part(name, `field ${i}`)
      : part(name, binaryWithNuls(10 + i), `${name}.bin`, 'application/octet-stream'))
    const created = await messages.create({ ...text('form'), contentType: 'multipart/form-data; boundary=b', parts })
    const expected = parts.map((p) => ({ name: p.name, filename: p.filename, contentType: p.contentType, size: p.body.length, sha256: p.sha256 }))
    assert.deepEqual(created.parts, expected)
    assert.deepEqual((await messages.findById(created.id))?.parts, expected)
    assert.deepEqual((await messages.list(10, undefined))[0]?.parts, expected)
  })

  it('keeps the parts of each message with that message in a list', async (t) => {
    const { messages } = await setUp(t)
    const first = await messages.create({ ...text('one'), parts: [part('a', '1'), part('b', '2')] })
    const bare = await messages.create(text('two'))
    const third = await messages.create({ ...text('three', BOB), parts: [part('c', '3')] })
    assert.deepEqual(await messages.list(10, undefined), [third, bare, first])
    assert.deepEqual((await messages.list(10, undefined)).map((m) => m.parts.map((p) => p.name)), [['c'], [], ['a', 'b']])
  })

  it('lists newest first, a page at a time before an id', async (t) => {
    const { messages } = await setUp(t)
    for (let i = 1; i <= 5; i++) await messages.create(text(`message ${i}`))
    assert.deepEqual(ids(await messages.list(10, undefined)), [5, 4, 3, 2, 1])
    assert.deepEqual(ids(await messages.list(2, undefined)), [5, 4])
    assert.deepEqual(ids(await messages.list(2, 4)), [3, 2])
    assert.deepEqual(ids(await messages.list(2, 2)), [1])
    assert.deepEqual(await messages.list(2, 1), [])
  })

  it('lists one owner\'s messages only, a page at a time; all of them without an owner', async (t) => {
    const { messages } = await setUp(t)
    for (const from of [ALICE, BOB, ANONYMOUS, ALICE, BOB, ALICE]) await messages.create(text('hi', from))
    assert.deepEqual(ids(await messages.list(10, undefined, 1)), [6, 4, 1])
    assert.deepEqual(ids(await messages.list(10, undefined, 2)), [5, 2])
    assert.deepEqual(ids(await messages.list(2, 6, 1)), [4, 1])
    assert.deepEqual(ids(await messages.list(10, 4, 1)), [1])
    assert.deepEqual(await messages.list(10, undefined, 3), [])
    assert.deepEqual(ids(await messages.list(10, undefined)), [6, 5, 4, 3, 2, 1])
  })

  it('stores a message in the caller\'s transaction, and none of it when that transaction fails', async (t) => {
    const { db, messages } = await setUp(t)
    const stored = await db.transaction(async (tx) => await messages.create(text('inside'), tx))
    assert.equal((await messages.findById(stored.id))?.size, 'inside'.length)
    await assert.rejects(db.transaction(async (tx) => {
      await messages.create({ ...text('rolled back'), parts: [part('p', 'x')] }, tx)
      throw new Error('the caller fails after the message')
    }), /the caller fails/)
    assert.deepEqual(ids(await messages.list(10, undefined)), [stored.id])
    assert.equal(await countRows(db, 'message_parts'), 0)
  })

  it('deletes a message, false for an unknown id', async (t) => {
    const { db, messages } = await setUp(t)
    const gone = await messages.create({ ...text('gone'), parts: [part('a', '1')] })
    const kept = await messages.create({ ...text('kept'), parts: [part('b', '2')] })
    assert.equal(await messages.delete(gone.id), true)
    assert.equal(await messages.findById(gone.id), undefined)
    assert.equal(await messages.content(gone.id), undefined)
    assert.deepEqual(await messages.list(10, undefined), [kept])
    assert.equal(await countRows(db, 'message_parts'), 1)
    assert.equal(await messages.delete(gone.id), false)
  })

  for (const [what, unstorable] of UNSTORABLE_TEXT) {
    it(`refuses text with ${what} with InvalidText, and keeps no part of the message`, async (t) => {
      const { db, messages } = await setUp(t)
      await assert.rejects(messages.create({ ...text('body'), contentType: `text/plain; x=${unstorable}` }), InvalidText)
      await assert.rejects(messages.create(text('body', { userId: 1, sender: unstorable })), InvalidText)
      // the last part fails after the message and the first part were written: all of it goes
      const parts = [part('good', 'x'), part('bad', 'y', unstorable)]
      await assert.rejects(messages.create({ ...text('body'), parts }), InvalidText)
      assert.equal(await countRows(db, 'messages'), 0)
      assert.equal(await countRows(db, 'message_parts'), 0)
    })
  }

  it('refuses a message for a user that does not exist, and keeps none of it', async (t) => {
    const { db, messages } = await setUp(t)
    await assert.rejects(messages.create({ ...text('body', { userId: 99, sender: 'ghost' }), parts: [part('a', '1')] }), ReferenceViolation)
    assert.equal(await countRows(db, 'messages'), 0)
    assert.equal(await countRows(db, 'message_parts'), 0)
  })
})
