import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { ReferenceViolation } from '../../src/errors.js'
import { countRows } from '../db/fresh-db.js'
import { setUpAccounts, writeArticle } from './fixtures.js'

// following and favoriting are one idempotent test: each is read through the other repositories
describe('follows and favorites', () => {
  it('are idempotent both ways', async (t) => {
    const { repos } = await setUpAccounts(t)
    const article = await writeArticle(repos, 1, 'alice', 'liked')
    await repos.follows.set(2, 1, true)
    await repos.follows.set(2, 1, true)
    assert.equal((await repos.users.findProfile('alice', 2))?.following, true)
    await repos.follows.set(2, 1, false)
    await repos.follows.set(2, 1, false)
    assert.equal((await repos.users.findProfile('alice', 2))?.following, false)
    await repos.favorites.set(2, article.id, true)
    await repos.favorites.set(2, article.id, true)
    assert.equal((await repos.articles.page({}, 2, 1, 0)).articles[0]?.favoritesCount, 1)
    await repos.favorites.set(2, article.id, false)
    await repos.favorites.set(2, article.id, false)
    assert.equal((await repos.articles.page({}, 2, 1, 0)).articles[0]?.favoritesCount, 0)
  })
})

describe('a pair whose other half is gone', () => {
  it('is refused with ReferenceViolation, on either engine, and nothing is stored', async (t) => {
    const { db, repos } = await setUpAccounts(t)
    await assert.rejects(repos.favorites.set(1, 999, true), ReferenceViolation)
    await assert.rejects(repos.follows.set(1, 999, true), ReferenceViolation)
    await assert.rejects(repos.comments.create(999, 1, 'on nothing'), ReferenceViolation)
    assert.equal(await countRows(db, 'favorites'), 0)
    assert.equal(await countRows(db, 'follows'), 0)
    assert.equal(await countRows(db, 'comments'), 0)
  })
})
