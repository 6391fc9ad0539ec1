import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
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
