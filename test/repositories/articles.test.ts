import { strict as assert } from 'node:assert'
import { describe, it, type TestContext } from 'node:test'
import type { Db } from '../../src/db/index.js'
import { InvalidText } from '../../src/errors.js'
import { createRepositories, type Repositories } from '../../src/repositories/index.js'
import { createArticlesRepository, type ArticleFields, type SearchPosition, type StoredArticle } from '../../src/repositories/articles.js'
import { createUsersRepository } from '../../src/repositories/users.js'
import { assertTimestamp, countRows, ENGINE, openFreshDb, UNSTORABLE_TEXT } from '../db/fresh-db.js'
import { counting, setUpAccounts, writeArticle } from './fixtures.js'

const fields = (title: string, body: string, summary: string | null = null): ArticleFields => ({ title, summary, body })

/** A fresh database with the users alice (1) and bob (2), and the articles repository on it. */
async function setUp (t: TestContext): Promise<{ db: Db, articles: ReturnType<typeof createArticlesRepository> }> {
  const db = await openFreshDb(t)
  const users = createUsersRepository(db)
  await users.create('alice', null)
  await users.create('bob', null)
  return { db, articles: createArticlesRepository(db) }
}

const ids = (articles: readonly StoredArticle[] | undefined) => articles?.map((a) => a.id)

describe('articles repository', () => {
  it('creates an article at version 1 and finds it by id', async (t) => {
    const { articles } = await setUp(t)
    const created = await articles.create(fields('Title', 'Body text', 'Summary'), 1, 'alice')
    assertTimestamp(created.createdAt)
    assert.deepEqual(created, {
      id: 1,
      title: 'Title',
      summary: 'Summary',
      body: 'Body text',
      author: 'alice',
      createdAt: created.createdAt,
      updatedAt: created.createdAt,
      authorId: 1,
      version: 1
    })
    assert.deepEqual(await articles.findById(1), created)
  })

  it('gives an article without a summary the key, undefined, and the admin\'s a null author id', async (t) => {
    const { articles } = await setUp(t)
    const created = await articles.create(fields('Title', 'Body'), null, 'admin')
    assert.ok('summary' in created)
    assert.deepEqual(await articles.findById(created.id), {
      id: created.id,
      title: 'Title',
      summary: undefined,
      body: 'Body',
      author: 'admin',
      createdAt: created.createdAt,
      updatedAt: created.createdAt,
      authorId: null,
      version: 1
    })
  })

  it('returns undefined for an unknown id', async (t) => {
    const { articles } = await setUp(t)
    await articles.create(fields('Title', 'Body'), 1, 'alice')
    assert.equal(await articles.findById(2), undefined)
  })

  it('keeps text as sent: quotes, newlines, characters outside the BMP', async (t) => {
    const { articles } = await setUp(t)
    const text = 'It\'s "quoted"; -- not SQL\n\ttabbed 😀 é ? $1'
    const created = await articles.create(fields(text, text, text), 1, 'alice')
    assert.deepEqual(await articles.findById(created.id), { ...created, title: text, summary: text, body: text })
  })

  for (const [what, text] of UNSTORABLE_TEXT) {
    it(`refuses a title, summary or body with ${what} with InvalidText, storing nothing`, async (t) => {
      const { db, articles } = await setUp(t)
      await assert.rejects(articles.create(fields(text, 'Body'), 1, 'alice'), InvalidText)
      await assert.rejects(articles.create(fields('Title', 'Body', text), 1, 'alice'), InvalidText)
      await assert.rejects(articles.create(fields('Title', text), 1, 'alice'), InvalidText)
      assert.equal(await countRows(db, 'articles'), 0)
      const stored = await articles.create(fields('Title', 'Body'), 1, 'alice')
      await assert.rejects(articles.update(stored.id, fields('Title', text)), InvalidText)
      assert.deepEqual(await articles.findById(stored.id), stored)
    })
  }

  describe('list', () => {
    it('lists newest first, a page at a time before an id', async (t) => {
      const { articles } = await setUp(t)
      for (let i = 1; i <= 5; i++) await articles.create(fields(`Title ${i}`, 'Body'), 1, 'alice')
      const all = await articles.list(10)
      assert.deepEqual(ids(all), [5, 4, 3, 2, 1])
      assert.deepEqual(all[0], await articles.findById(5))
      assert.deepEqual(ids(await articles.list(2)), [5, 4])
      assert.deepEqual(ids(await articles.list(2, 4)), [3, 2])
      assert.deepEqual(ids(await articles.list(2, 2)), [1])
      assert.deepEqual(await articles.list(2, 1), [])
    })

    it('lists one author\'s articles only, a page at a time', async (t) => {
      const { articles } = await setUp(t)
      for (const author of ['alice', 'bob', 'alice', 'bob', 'alice']) {
        await articles.create(fields('Title', 'Body'), author === 'alice' ? 1 : 2, author)
      }
      assert.deepEqual(ids(await articles.list(10, undefined, 'alice')), [5, 3, 1])
      assert.deepEqual(ids(await articles.list(10, undefined, 'bob')), [4, 2])
      assert.deepEqual(ids(await articles.list(1, 5, 'alice')), [3])
      assert.deepEqual(ids(await articles.list(10, 3, 'alice')), [1])
      assert.deepEqual(await articles.list(10, undefined, 'carol'), [])
      // the author is compared exactly
      assert.deepEqual(await articles.list(10, undefined, 'Alice'), [])
    })
  })

  describe('update', () => {
    it('writes the fields, bumps the version and the update time, keeps the rest', async (t) => {
      const { articles } = await setUp(t)
      const created = await articles.create(fields('Old', 'Old body', 'Old summary'), 2, 'bob')
      const updated = await articles.update(created.id, fields('New', 'New body'))
      assert.ok(updated !== undefined)
      assertTimestamp(updated.updatedAt)
      assert.ok(updated.updatedAt >= created.updatedAt)
      assert.deepEqual(updated, {
        id: created.id,
        title: 'New',
        summary: undefined,
        body: 'New body',
        author: 'bob',
        createdAt: created.createdAt,
        updatedAt: updated.updatedAt,
        authorId: 2,
        version: 2
      })
      assert.deepEqual(await articles.findById(created.id), updated)
      assert.equal((await articles.update(created.id, fields('Newer', 'Body', 'Back')))?.version, 3)
    })

    it('returns undefined for an unknown id, and creates nothing', async (t) => {
      const { db, articles } = await setUp(t)
      assert.equal(await articles.update(7, fields('Title', 'Body')), undefined)
      assert.equal(await countRows(db, 'articles'), 0)
    })
  })

  describe('delete', () => {
    it('deletes an article, false for an unknown id', async (t) => {
      const { articles } = await setUp(t)
      const first = await articles.create(fields('First', 'Body'), 1, 'alice')
      const second = await articles.create(fields('Second', 'Body'), 1, 'alice')
      assert.equal(await articles.delete(first.id), true)
      assert.equal(await articles.findById(first.id), undefined)
      assert.deepEqual(await articles.list(10), [second])
      assert.equal(await articles.delete(first.id), false)
    })
  })

  describe('on a transaction', () => {
    it('sees its own writes, and its rollback takes them all back', async (t) => {
      const { db, articles } = await setUp(t)
      const kept = await articles.create(fields('Kept', 'Body'), 1, 'alice')
      const doomed = await articles.create(fields('Doomed', 'Body'), 1, 'alice')

      await assert.rejects(db.transaction(async (tx) => {
        const current = await articles.findById(kept.id, tx)
        assert.deepEqual(current, kept)
        const updated = await articles.update(kept.id, fields('Changed', 'Changed'), tx)
        assert.equal(updated?.version, 2)
        assert.deepEqual(await articles.findById(kept.id, tx), updated)
        assert.equal(await articles.delete(doomed.id, tx), true)
        assert.equal(await articles.findById(doomed.id, tx), undefined)
        await articles.create(fields('Created', 'Body'), 2, 'bob', tx)
        throw new Error('precondition failed')
      }), /precondition failed/)

      assert.deepEqual(await articles.findById(kept.id), kept)
      assert.deepEqual(await articles.findById(doomed.id), doomed)
      assert.deepEqual(await articles.list(10), [doomed, kept])
      // the search index was rolled back with the rows
      assert.deepEqual(ids(await articles.search('changed', 10)), [])
      assert.deepEqual(ids(await articles.search('kept', 10)), [kept.id])
    })

    it('commits what the work wrote when it returns', async (t) => {
      const { db, articles } = await setUp(t)
      const article = await articles.create(fields('Title', 'Body'), 1, 'alice')
      const result = await db.transaction(async (tx) => {
        const current = await articles.findById(article.id, tx)
        return await articles.update(article.id, fields(`${current!.title}!`, 'Body'), tx)
      })
      assert.equal(result?.title, 'Title!')
      assert.deepEqual(await articles.findById(article.id), result)
    })

    it('returns undefined and false for an unknown id', async (t) => {
      const { db, articles } = await setUp(t)
      await db.transaction(async (tx) => {
        assert.equal(await articles.findById(1, tx), undefined)
        assert.equal(await articles.update(1, fields('T', 'B'), tx), undefined)
        assert.equal(await articles.delete(1, tx), false)
      })
    })
  })

  describe('search', () => {
    /** Two with the word in the body only (ids 1, 2), then three with it in the title (3, 4, 5), all alike in length. */
    async function corpus (t: TestContext) {
      const set = await setUp(t)
      const { articles } = set
      await articles.create(fields('Other one', 'All about paging here'), 1, 'alice')
      await articles.create(fields('Other two', 'All about paging here'), 2, 'bob')
      await articles.create(fields('Paging one', 'All about other things'), 1, 'alice')
      await articles.create(fields('Paging two', 'All about other things'), 2, 'bob')
      await articles.create(fields('Paging three', 'All about other things'), 1, 'alice')
      return set
    }

    it('returns undefined for text without a word', async (t) => {
      const { articles } = await corpus(t)
      assert.equal(await articles.search('', 10), undefined)
      assert.equal(await articles.search(' -*"() ', 10), undefined)
    })

    it('ranks a match in the title above one in the body, ties by id', async (t) => {
      const { articles } = await corpus(t)
      const found = await articles.search('paging', 10)
      assert.deepEqual(ids(found), [3, 4, 5, 1, 2])
      const ranks = found!.map((a) => a.rank)
      assert.ok(ranks.every((r) => typeof r === 'number' && Number.isFinite(r)))
      assert.equal(ranks[0], ranks[2], 'equal articles rank alike')
      assert.ok(ranks[2]! < ranks[3]!, `a title match (${ranks[2]}) ranks lower (better) than a body match (${ranks[3]})`)
      assert.deepEqual(found![0], { ...(await articles.findById(3))!, rank: ranks[0] })
    })

    it('requires every word, each also as a prefix, in any case', async (t) => {
      const { articles } = await corpus(t)
      assert.deepEqual(ids(await articles.search('paging one', 10)), [3, 1])
      assert.deepEqual(ids(await articles.search('PAG th', 10)), [5, 3, 4])
      assert.deepEqual(ids(await articles.search('paging nowhere', 10)), [])
      assert.deepEqual(ids(await articles.search('about', 10))?.sort(), [1, 2, 3, 4, 5])
    })

    it('reads operators of either syntax as plain words', async (t) => {
      const { articles } = await corpus(t)
      assert.deepEqual(ids(await articles.search('"paging" OR -one & !two | (three):*', 10)), [])
      assert.deepEqual(ids(await articles.search('paging* -"three"', 10)), [5])
      assert.deepEqual(ids(await articles.search('NEAR(paging)', 10)), [])
    })

    it('finds words with letters outside ASCII', async (t) => {
      const { articles } = await setUp(t)
      const created = await articles.create(fields('Über Straße', 'Ελληνικά и русский 東京'), 1, 'alice')
      assert.deepEqual(ids(await articles.search('über', 10)), [created.id])
      assert.deepEqual(ids(await articles.search('straße', 10)), [created.id])
      assert.deepEqual(ids(await articles.search('ελληνικά русский', 10)), [created.id])
    })

    it('searches one author\'s articles only', async (t) => {
      const { articles } = await corpus(t)
      assert.deepEqual(ids(await articles.search('paging', 10, undefined, 'bob')), [4, 2])
      assert.deepEqual(ids(await articles.search('paging', 10, undefined, 'carol')), [])
    })

    it('resumes after a position, across ties and from title to body matches', async (t) => {
      const { articles } = await corpus(t)
      const all = (await articles.search('paging', 10))!
      const pages: number[][] = []
      let after: SearchPosition | undefined
      // bounded, so that a cursor that does not advance fails instead of looping
      for (let i = 0; i < 10; i++) {
        const page = (await articles.search('paging', 2, after))!
        if (page.length === 0) break
        pages.push(page.map((a) => a.id))
        const last = page[page.length - 1]!
        after = [last.rank, last.id]
      }
      assert.deepEqual(pages, [[3, 4], [5, 1], [2]])
      assert.deepEqual(ids(await articles.search('paging', 10, [all[3]!.rank, all[3]!.id])), [2])
      assert.deepEqual(ids(await articles.search('paging', 10, [all[0]!.rank, all[0]!.id], 'bob')), [4, 2])
    })

    it('follows updates and deletes', async (t) => {
      const { articles } = await corpus(t)
      await articles.update(3, fields('Renamed', 'All about other things'))
      await articles.delete(4)
      assert.deepEqual(ids(await articles.search('paging', 10)), [5, 1, 2])
      assert.deepEqual(ids(await articles.search('renamed', 10)), [3])
      await articles.create(fields('Paging four', 'All about other things'), 2, 'bob')
      assert.deepEqual(ids(await articles.search('paging four', 10)), [6])
    })
  })
})

describe('a page of articles as a reader sees it', () => {
  it('runs the same three queries for a page of 1 and a page of 20', async (t) => {
    const { db, repos } = await setUpAccounts(t)
    await writeArticle(repos, 1, 'alice', 'first', ['a', 'b'])
    await repos.favorites.set(2, 1, true)
    await repos.follows.set(2, 1, true)
    const one = counting(db)
    const page1 = await createRepositories(one.db).articles.page({}, 2, 20, 0)
    assert.equal(page1.articles.length, 1)
    for (let i = 2; i <= 25; i++) await writeArticle(repos, (i % 3) + 1, ['alice', 'bob', 'carol'][i % 3]!, `article ${i}`, [`t${i % 4}`, 'common'])
    for (let i = 2; i <= 25; i++) await repos.favorites.set(1 + (i % 3), i, true)
    const twenty = counting(db)
    const page20 = await createRepositories(twenty.db).articles.page({}, 2, 20, 0)
    assert.equal(page20.articles.length, 20)
    assert.equal(page20.count, 25)
    assert.equal(one.statements.length, 3, one.statements.join('\n'))
    assert.equal(twenty.statements.length, 3, twenty.statements.join('\n'))
    assert.deepEqual(twenty.statements.slice(0, 2), one.statements.slice(0, 2))
    // the tags query differs only in its number of placeholders, one per article
    assert.equal((twenty.statements[2]!.match(/\?/g) ?? []).length, 20)
  })

  it('reads each filter through an index (SQLite\'s plan: a search of an index for every table, no scan)', { skip: ENGINE !== 'sqlite' && 'PostgreSQL plans a sequential scan of tables this small, whatever the indexes' }, async (t) => {
    const { db, repos } = await setUpAccounts(t)
    await writeArticle(repos, 1, 'alice', 'indexed', ['x'])
    const filters = [{ tag: 'x' }, { author: 'alice' }, { favoritedBy: 'bob' }, { feedOf: 2 }]
    for (const filter of filters) {
      const recorded = counting(db)
      await createRepositories(recorded.db).articles.page(filter, 2, 20, 0)
      for (const [i, sql] of recorded.statements.slice(0, 2).entries()) {
        const plan = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, recorded.params[i])
        // every table is reached by a SEARCH of an index; a SCAN would read a whole table (or index)
        const scans = plan.map((step) => step.detail).filter((detail) => /^SCAN /.test(detail))
        assert.deepEqual(scans, [], `${JSON.stringify(filter)}:\n${plan.map((p) => p.detail).join('\n')}`)
      }
    }
  })

  it('gives each article its author\'s profile, tags in order, favorites and the reader\'s view', async (t) => {
    const { repos } = await setUpAccounts(t)
    await repos.users.updateAccount(1, { bio: 'I write', image: 'https://example.org/a.png' })
    const article = await writeArticle(repos, 1, 'alice', 'Hello', ['zeta', 'alpha', 'zeta'])
    await repos.favorites.set(2, article.id, true)
    await repos.favorites.set(3, article.id, true)
    await repos.favorites.set(3, article.id, true)
    await repos.follows.set(2, 1, true)
    const { slug } = (await repos.articles.page({}, null, 1, 0)).articles[0]!
    const asBob = (await repos.articles.page({ slug }, 2, 20, 0)).articles[0]!
    assert.deepEqual({ ...asBob, createdAt: undefined, updatedAt: undefined }, {
      id: article.id,
      slug: asBob.slug,
      title: 'Hello',
      summary: 'about Hello',
      body: 'Hello body',
      tags: ['zeta', 'alpha'],
      createdAt: undefined,
      updatedAt: undefined,
      favorited: true,
      favoritesCount: 2,
      authorId: 1,
      author: { username: 'alice', bio: 'I write', image: 'https://example.org/a.png', following: true }
    })
    assert.match(asBob.slug, /^hello-[0-9a-f]{16}$/)
    const anonymous = (await repos.articles.page({}, null, 20, 0)).articles[0]!
    assert.equal(anonymous.favorited, false)
    assert.equal(anonymous.author.following, false)
    assert.equal(anonymous.favoritesCount, 2)
  })

  it('filters by tag, author, favorited-by and feed, newest first, with the total of all pages', async (t) => {
    const { repos } = await setUpAccounts(t)
    const a1 = await writeArticle(repos, 1, 'alice', 'a1', ['x'])
    const b1 = await writeArticle(repos, 2, 'bob', 'b1', ['x', 'y'])
    const c1 = await writeArticle(repos, 3, 'carol', 'c1', ['y'])
    const a2 = await writeArticle(repos, 1, 'alice', 'a2')
    await repos.favorites.set(3, a1.id, true)
    await repos.favorites.set(3, b1.id, true)
    await repos.follows.set(2, 1, true)
    await repos.follows.set(2, 3, true)
    const ids = async (filter: Parameters<Repositories['articles']['page']>[0], limit = 20, offset = 0) => {
      const { articles, count } = await repos.articles.page(filter, 2, limit, offset)
      return { ids: articles.map((a) => a.id), count }
    }
    assert.deepEqual(await ids({ tag: 'x' }), { ids: [b1.id, a1.id], count: 2 })
    assert.deepEqual(await ids({ author: 'alice' }), { ids: [a2.id, a1.id], count: 2 })
    assert.deepEqual(await ids({ favoritedBy: 'carol' }), { ids: [b1.id, a1.id], count: 2 })
    assert.deepEqual(await ids({ feedOf: 2 }), { ids: [a2.id, c1.id, a1.id], count: 3 })
    assert.deepEqual(await ids({ feedOf: 2 }, 1, 1), { ids: [c1.id], count: 3 })
    assert.deepEqual(await ids({ tag: 'y', author: 'carol' }), { ids: [c1.id], count: 1 })
    assert.deepEqual(await ids({ feedOf: 1 }), { ids: [], count: 0 })
    assert.deepEqual(await ids({}, 2, 10), { ids: [], count: 4 })
  })

  it('lists the tags in use, the most used first, and none of a deleted article', async (t) => {
    const { repos } = await setUpAccounts(t)
    await writeArticle(repos, 1, 'alice', 'one', ['rare', 'common'])
    const two = await writeArticle(repos, 1, 'alice', 'two', ['common'])
    const gone = await writeArticle(repos, 2, 'bob', 'three', ['gone'])
    await repos.articles.delete(gone.id)
    assert.deepEqual(await repos.articles.tags(), ['common', 'rare'])
    await repos.articles.setTags(two.id, [])
    assert.deepEqual(await repos.articles.tags(), ['common', 'rare'])
  })
})
