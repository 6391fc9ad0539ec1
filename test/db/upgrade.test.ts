import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createDb } from '../../src/db/index.js'
import { migrate } from '../../src/db/migrations.js'
import { hashPassword } from '../../src/lib/password.js'
import { createRepositories } from '../../src/repositories/index.js'
import { createAccounts } from '../../src/services/accounts.js'
import { freshDatabaseUrl } from '../helper.js'

const RULES = { adminUser: 'admin', tokenTtlSeconds: 600, sessionTtlSeconds: 86_400 }

describe('a database of the previous release (schema version 2)', () => {
  it('upgrades in place to the RealWorld schema, keeping every row, and both APIs read them', async (t) => {
    const url = await freshDatabaseUrl(t)
    const db = await createDb(url)
    t.after(() => db.close())
    assert.deepEqual(await migrate(db, { demoData: false, upTo: 2 }), { applied: [1, 2], created: true })

    // rows as release 2 wrote them, through its own columns only
    const now = new Date().toISOString()
    await db.run('INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)', ['ada', await hashPassword('difference engine'), now])
    await db.run(`INSERT INTO articles (title, summary, body, author_id, author, version, created_at, updated_at)
      VALUES (?, NULL, ?, 1, 'ada', 3, ?, ?)`, ['Notes on the Analytical Engine!', 'It weaves algebraic patterns.', now, now])
    await db.run(`INSERT INTO articles (title, summary, body, author_id, author, version, created_at, updated_at)
      VALUES ('Über Maschinen', 'kurz', 'lang', NULL, 'admin', 1, ?, ?)`, [now, now])
    const before = await db.all('SELECT id, title, summary, body, author_id, author, version, created_at, updated_at FROM articles ORDER BY id')
    const repos2 = createRepositories(db)
    const token = await repos2.tokens.issue(1, 600)
    await db.run(`INSERT INTO messages (user_id, sender, content_type, size, sha256, body, created_at)
      VALUES (1, 'ada', 'text/plain', 2, 'x', ?, ?)`, [Buffer.from('hi'), now])

    assert.deepEqual(await migrate(db, { demoData: true }), { applied: [3], created: false })

    // nothing was lost or changed, and no demo data was added to a database that had some
    assert.deepEqual(await db.all('SELECT id, title, summary, body, author_id, author, version, created_at, updated_at FROM articles ORDER BY id'), before)
    const repos = createRepositories(db)
    assert.deepEqual(await repos.users.list(10), [{ id: 1, username: 'ada' }])
    assert.deepEqual(await repos.tokens.findOwner(token.token), { userId: 1, username: 'ada' })
    assert.equal((await repos.messages.content(1))?.body.toString(), 'hi')

    // every article got a slug from its title, and reads as a RealWorld article
    const { articles, count } = await repos.articles.page({}, null, 10, 0)
    assert.equal(count, 2)
    assert.match(articles[1]!.slug, /^notes-on-the-analytical-engine-[0-9a-f]{16}$/)
    assert.match(articles[0]!.slug, /^uber-maschinen-[0-9a-f]{16}$/)
    assert.deepEqual(articles[1]!.author, { username: 'ada', bio: null, image: null, following: false })
    assert.deepEqual(articles[1]!.tags, [])
    assert.equal(articles[1]!.summary, null)

    // the user of release 2 gets an email and logs in with the password it always had
    const accounts = createAccounts(repos, RULES)
    await accounts.updateProfile(1, { email: 'Ada@Example.org' })
    const login = await accounts.login('ada@example.org', 'difference engine')
    assert.equal(login.account.username, 'ada')
    assert.deepEqual(await repos.tokens.findOwner(login.token), { userId: 1, username: 'ada' })
  })
})
