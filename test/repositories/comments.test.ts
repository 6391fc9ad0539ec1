import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { setUpAccounts, writeArticle } from './fixtures.js'

describe('comments', () => {
  it('are listed oldest first with their author\'s profile, found on their own article only, and deleted', async (t) => {
    const { repos } = await setUpAccounts(t)
    const article = await writeArticle(repos, 1, 'alice', 'discussed')
    const other = await writeArticle(repos, 1, 'alice', 'quiet')
    await repos.follows.set(1, 2, true)
    const first = await repos.comments.create(article.id, 2, 'first!')
    const second = await repos.comments.create(article.id, 3, 'second')
    assert.deepEqual({ ...first, createdAt: undefined, updatedAt: undefined }, {
      id: first.id, body: 'first!', createdAt: undefined, updatedAt: undefined, authorId: 2, author: { username: 'bob', bio: null, image: null, following: false }
    })
    assert.deepEqual((await repos.comments.list(article.id, 1)).map((c) => [c.id, c.author.username, c.author.following]),
      [[first.id, 'bob', true], [second.id, 'carol', false]])
    assert.equal(await repos.comments.find(other.id, first.id, null), undefined)
    assert.equal(await repos.comments.delete(first.id), true)
    assert.equal(await repos.comments.delete(first.id), false)
    assert.deepEqual((await repos.comments.list(article.id, null)).map((c) => c.id), [second.id])
    await repos.articles.delete(article.id)
    assert.deepEqual(await repos.comments.list(article.id, null), [])
  })
})
