import { strict as assert } from 'node:assert'
import { describe, it, type TestContext } from 'node:test'
import type { Db } from '../../src/db/index.js'
import { InvalidText, UniqueViolation } from '../../src/errors.js'
import { createFilesRepository, prefixEnd, type NewFile, type StoredFile } from '../../src/repositories/files.js'
import { createUsersRepository } from '../../src/repositories/users.js'
import { binaryWithNuls, sha256 } from '../helper.js'
import { assertTimestamp, countRows, openFreshDb, UNSTORABLE_TEXT } from '../db/fresh-db.js'

/** A file of `body` owned by the admin unless told otherwise. */
const newFile = (body: Buffer | string, contentType = 'application/octet-stream', owner: { ownerId: number | null, owner: string } = { ownerId: null, owner: 'admin' }): NewFile => {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  return { contentType, body: bytes, sha256: sha256(bytes), ...owner }
}

async function setUp (t: TestContext): Promise<{ db: Db, files: ReturnType<typeof createFilesRepository> }> {
  const db = await openFreshDb(t)
  return { db, files: createFilesRepository(db) }
}

const keys = (files: readonly StoredFile[]) => files.map((f) => f.key)

/** Stores an empty text file under each key, in the order given. */
async function putAll (files: ReturnType<typeof createFilesRepository>, names: readonly string[]): Promise<void> {
  for (const key of names) await files.put(key, newFile('', 'text/plain'), false)
}

describe('prefixEnd', () => {
  it('raises the last code point by one', () => {
    assert.equal(prefixEnd('a'), 'b')
    assert.equal(prefixEnd('photos/'), 'photos0')
    assert.equal(prefixEnd('é'), 'ê')
    assert.equal(prefixEnd('a😀'), 'a😁')
  })

  it('steps over the surrogates, which no string holds', () => {
    assert.equal(prefixEnd('a\uD7FF'), 'a\uE000')
  })

  it('carries past U+10FFFF, and has no bound for the empty prefix or one of U+10FFFF only', () => {
    assert.equal(prefixEnd('ab\u{10FFFF}'), 'ac')
    assert.equal(prefixEnd('a\u{10FFFF}\u{10FFFF}'), 'b')
    assert.equal(prefixEnd('\u{10FFFF}'), undefined)
    assert.equal(prefixEnd(''), undefined)
  })
})

describe('files repository', () => {
  it('stores a file and finds it by key', async (t) => {
    const { files } = await setUp(t)
    const body = binaryWithNuls(1000)
    const stored = await files.put('photos/cat.bin', newFile(body), false)
    assertTimestamp(stored.lastModified)
    assert.deepEqual(stored, {
      key: 'photos/cat.bin',
      contentType: 'application/octet-stream',
      size: 1000,
      sha256: sha256(body),
      ownerId: null,
      owner: 'admin',
      lastModified: stored.lastModified
    })
    assert.deepEqual(await files.find('photos/cat.bin'), stored)
  })

  it('keeps the owner\'s id and name', async (t) => {
    const { db, files } = await setUp(t)
    const alice = await createUsersRepository(db).create('alice', null)
    const stored = await files.put('a', newFile('x', 'text/plain', { ownerId: alice.id, owner: 'alice' }), false)
    assert.deepEqual(await files.find('a'), { ...stored, ownerId: alice.id, owner: 'alice' })
  })

  it('returns undefined for an unknown key, compared exactly', async (t) => {
    const { files } = await setUp(t)
    await files.put('Report.pdf', newFile('x'), false)
    assert.equal(await files.find('report.pdf'), undefined)
    assert.equal(await files.find('Report.pd'), undefined)
    assert.equal(await files.find('Report.pdf '), undefined)
    assert.equal(await files.read('report.pdf'), undefined)
  })

  it('throws UniqueViolation for a new file under a taken key, and keeps the stored one', async (t) => {
    const { files } = await setUp(t)
    const first = await files.put('k', newFile('first'), false)
    await assert.rejects(files.put('k', newFile('second'), false), UniqueViolation)
    assert.deepEqual(await files.find('k'), first)
    assert.deepEqual(await files.read('k'), Buffer.from('first'))
  })

  it('replaces a stored file, keeping its owner and creation', async (t) => {
    const { db, files } = await setUp(t)
    const alice = await createUsersRepository(db).create('alice', null)
    const first = await files.put('k', newFile('first', 'text/plain', { ownerId: alice.id, owner: 'alice' }), false)
    const second = await files.put('k', newFile('second!', 'text/csv', { ownerId: null, owner: 'admin' }), true)
    assertTimestamp(second.lastModified)
    assert.ok(second.lastModified >= first.lastModified)
    assert.deepEqual(second, {
      key: 'k', contentType: 'text/csv', size: 7, sha256: sha256('second!'), ownerId: alice.id, owner: 'alice', lastModified: second.lastModified
    })
    assert.deepEqual(await files.find('k'), second)
    assert.deepEqual(await files.read('k'), Buffer.from('second!'))
  })

  for (const [what, text] of UNSTORABLE_TEXT) {
    it(`refuses a key or content type with ${what} with InvalidText, storing nothing`, async (t) => {
      const { db, files } = await setUp(t)
      await assert.rejects(files.put(`a/${text}`, newFile('x'), false), InvalidText)
      await assert.rejects(files.put('a', newFile('x', text), false), InvalidText)
      await assert.rejects(files.find(text), InvalidText)
      assert.equal(await countRows(db, 'files'), 0)
    })
  }

  describe('read', () => {
    it('gives the bytes back as stored, NULs included', async (t) => {
      const { files } = await setUp(t)
      const body = binaryWithNuls(64 * 1024)
      await files.put('bin', newFile(body), false)
      assert.deepEqual(await files.read('bin'), body)
    })

    it('gives an empty file back as an empty buffer, with or without a range', async (t) => {
      const { files } = await setUp(t)
      const stored = await files.put('empty', newFile(''), false)
      assert.equal(stored.size, 0)
      assert.deepEqual(await files.read('empty'), Buffer.alloc(0))
      assert.deepEqual(await files.read('empty', { start: 0, length: 10 }), Buffer.alloc(0))
    })

    it('cuts a range: from the start, in the middle, to the end, past the end', async (t) => {
      const { files } = await setUp(t)
      const body = binaryWithNuls(100)
      await files.put('bin', newFile(body), false)
      assert.deepEqual(await files.read('bin', { start: 0, length: 10 }), body.subarray(0, 10))
      assert.deepEqual(await files.read('bin', { start: 1, length: 1 }), body.subarray(1, 2))
      assert.deepEqual(await files.read('bin', { start: 50, length: 25 }), body.subarray(50, 75))
      assert.deepEqual(await files.read('bin', { start: 90, length: 10 }), body.subarray(90))
      assert.deepEqual(await files.read('bin', { start: 90, length: 50 }), body.subarray(90))
      assert.deepEqual(await files.read('bin', { start: 100, length: 5 }), Buffer.alloc(0))
    })

    it('returns undefined for an unknown key, with or without a range', async (t) => {
      const { files } = await setUp(t)
      assert.equal(await files.read('nothing'), undefined)
      assert.equal(await files.read('nothing', { start: 0, length: 1 }), undefined)
    })
  })

  describe('list', () => {
    it('lists keys in order, a page at a time after a key', async (t) => {
      const { files } = await setUp(t)
      await putAll(files, ['c', 'a/2', 'b', 'a/1', 'a/10'])
      const all = await files.list(10)
      assert.deepEqual(keys(all), ['a/1', 'a/10', 'a/2', 'b', 'c'])
      assert.deepEqual(all[0], await files.find('a/1'))
      assert.deepEqual(keys(await files.list(2)), ['a/1', 'a/10'])
      assert.deepEqual(keys(await files.list(2, '', 'a/10')), ['a/2', 'b'])
      assert.deepEqual(keys(await files.list(2, '', 'b')), ['c'])
      assert.deepEqual(await files.list(2, '', 'c'), [])
      // a key that is not stored is a position all the same
      assert.deepEqual(keys(await files.list(2, '', 'a/3')), ['b', 'c'])
    })

    it('orders keys by code point (UTF-8 bytes), not by case or UTF-16 unit, on both engines', async (t) => {
      const { files } = await setUp(t)
      await putAll(files, ['😀', 'b', 'é', 'B', '\uFFFD', 'a', 'Z', 'z'])
      assert.deepEqual(keys(await files.list(10)), ['B', 'Z', 'a', 'b', 'z', 'é', '\uFFFD', '😀'])
    })

    it('lists only the keys that start with a prefix, a page at a time', async (t) => {
      const { files } = await setUp(t)
      await putAll(files, ['a', 'p', 'p/', 'p/1', 'p/2', 'p/3', 'p0', 'pa', 'q'])
      assert.deepEqual(keys(await files.list(10, 'p/')), ['p/', 'p/1', 'p/2', 'p/3'])
      assert.deepEqual(keys(await files.list(2, 'p/')), ['p/', 'p/1'])
      assert.deepEqual(keys(await files.list(2, 'p/', 'p/1')), ['p/2', 'p/3'])
      assert.deepEqual(await files.list(2, 'p/', 'p/3'), [])
      assert.deepEqual(keys(await files.list(10, 'p')), ['p', 'p/', 'p/1', 'p/2', 'p/3', 'p0', 'pa'])
      assert.deepEqual(await files.list(10, 'r'), [])
    })

    it('starts at the prefix when the position is before it, and ends when it is past it', async (t) => {
      const { files } = await setUp(t)
      await putAll(files, ['a', 'p/1', 'p/2', 'q'])
      assert.deepEqual(keys(await files.list(10, 'p/', 'a')), ['p/1', 'p/2'])
      assert.deepEqual(keys(await files.list(10, 'p/', '')), ['p/1', 'p/2'])
      assert.deepEqual(await files.list(10, 'p/', 'q'), [])
    })

    it('reads a prefix literally: no wildcards, no case folding', async (t) => {
      const { files } = await setUp(t)
      await putAll(files, ['a_b', 'aXb', 'a%c', 'abc', 'A_B'])
      assert.deepEqual(keys(await files.list(10, 'a_')), ['a_b'])
      assert.deepEqual(keys(await files.list(10, 'a%')), ['a%c'])
      assert.deepEqual(keys(await files.list(10, 'A')), ['A_B'])
    })

    it('bounds a prefix that ends in U+10FFFF, and a prefix of non-ASCII letters', async (t) => {
      const { files } = await setUp(t)
      await putAll(files, ['a', 'a\u{10FFFF}', 'a\u{10FFFF}x', 'b', 'é/1', 'é/2', 'ê', '😀/1', '😁'])
      assert.deepEqual(keys(await files.list(10, 'a\u{10FFFF}')), ['a\u{10FFFF}', 'a\u{10FFFF}x'])
      assert.deepEqual(keys(await files.list(10, 'é/')), ['é/1', 'é/2'])
      assert.deepEqual(keys(await files.list(10, '😀')), ['😀/1'])
      assert.deepEqual(keys(await files.list(10, '\u{10FFFF}')), [])
    })
  })

  describe('delete', () => {
    it('deletes a file, false for an unknown key', async (t) => {
      const { files } = await setUp(t)
      await files.put('gone', newFile('x'), false)
      const kept = await files.put('kept', newFile('y'), false)
      assert.equal(await files.delete('gone'), true)
      assert.equal(await files.find('gone'), undefined)
      assert.equal(await files.read('gone'), undefined)
      assert.deepEqual(await files.list(10), [kept])
      assert.equal(await files.delete('gone'), false)
    })
  })

  describe('on a transaction', () => {
    it('sees its own writes, and its rollback takes them all back', async (t) => {
      const { db, files } = await setUp(t)
      const replaced = await files.put('replaced', newFile('old'), false)
      const deleted = await files.put('deleted', newFile('doomed'), false)

      await assert.rejects(db.transaction(async (tx) => {
        // the check a route makes before it writes: what is there now
        assert.deepEqual(await files.find('replaced', tx), replaced)
        assert.equal(await files.find('created', tx), undefined)
        await files.put('created', newFile('new'), false, tx)
        const changed = await files.put('replaced', newFile('changed'), true, tx)
        assert.deepEqual(await files.find('replaced', tx), changed)
        assert.equal(await files.delete('deleted', tx), true)
        assert.equal(await files.find('deleted', tx), undefined)
        throw new Error('precondition failed')
      }), /precondition failed/)

      assert.equal(await files.find('created'), undefined)
      assert.deepEqual(await files.find('replaced'), replaced)
      assert.deepEqual(await files.read('replaced'), Buffer.from('old'))
      assert.deepEqual(await files.find('deleted'), deleted)
    })

    it('commits what the work wrote when it returns', async (t) => {
      const { db, files } = await setUp(t)
      const stored = await db.transaction(async (tx) => {
        const existing = await files.find('k', tx)
        return await files.put('k', newFile('body'), existing !== undefined, tx)
      })
      assert.deepEqual(await files.find('k'), stored)
      assert.equal(await files.delete('k'), true)
      await db.transaction(async (tx) => {
        assert.equal(await files.delete('k', tx), false)
      })
    })
  })
})
