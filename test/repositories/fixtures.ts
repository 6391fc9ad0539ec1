import type { TestContext } from 'node:test'
import type { Db, SqlValue } from '../../src/db/index.js'
import { createRepositories, type Repositories } from '../../src/repositories/index.js'
import { openFreshDb } from '../db/fresh-db.js'

// What the RealWorld API's suites share: accounts with emails, articles with tags,
// and a count of the statements a repository call runs.

/** Records the statements run through the repositories: the SQL text of each, and its parameters. */
export function counting (db: Db): { db: Db, statements: string[], params: Array<readonly SqlValue[]> } {
  const statements: string[] = []
  const params: Array<readonly SqlValue[]> = []
  const wrap = <F extends (sql: string, values?: readonly SqlValue[]) => unknown>(run: F): F =>
    ((sql: string, values: readonly SqlValue[] = []) => { statements.push(sql); params.push(values); return run(sql, values) }) as F
  return {
    statements,
    params,
    db: { ...db, all: wrap(db.all.bind(db)), one: wrap(db.one.bind(db)), run: wrap(db.run.bind(db)) }
  }
}

/** alice (1), bob (2) and carol (3), with emails. */
export async function setUpAccounts (t: TestContext): Promise<{ db: Db, repos: Repositories }> {
  const db = await openFreshDb(t)
  const repos = createRepositories(db)
  for (const name of ['alice', 'bob', 'carol']) await repos.users.createAccount({ username: name, email: `${name}@example.org`, passwordHash: 'x' })
  return { db, repos }
}

export async function writeArticle (repos: Repositories, authorId: number, author: string, title: string, tags: string[] = []) {
  const article = await repos.articles.create({ title, summary: `about ${title}`, body: `${title} body` }, authorId, author)
  await repos.articles.setTags(article.id, tags)
  return article
}
