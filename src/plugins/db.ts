import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { createDb, type Db } from '../db/index.js'
import { migrate } from '../db/migrations.js'
import { createRepositories, type Repositories } from '../repositories/index.js'
import { createAccounts, type Accounts } from '../services/accounts.js'

declare module 'fastify' {
  interface FastifyInstance {
    repos: Repositories
    /** Users and tokens by the rules the CLI shares. */
    accounts: Accounts
    /** For a check that must run in the same transaction as the write it guards (If-Match, owner or admin). */
    db: Pick<Db, 'transaction'>
    /** Resolves when the database answers; rejects when it does not. */
    pingDatabase (): Promise<void>
    databasePoolStats: Db['poolStats']
  }
}

/** Opens (or adopts) the database, brings its schema up to date, and closes it last. */
export default fp<{ config: Config, db?: Db }>(async (app, { config, db: given }) => {
  const db = given ?? await createDb(config.database, {
    max: config.dbPoolSize,
    acquireTimeoutMs: config.dbAcquireTimeoutMs,
    onIdleError: (err) => app.log.warn({ err }, 'idle database connection failed')
  })
  try {
    const { applied, created } = await migrate(db, { demoData: config.demoData })
    if (applied.length > 0) app.log.info({ applied, created }, 'database migrated')
  } catch (err) {
    await db.close()
    throw err
  }
  const repos = createRepositories(db)
  app.decorate('repos', repos)
  app.decorate('accounts', createAccounts(repos, config))
  app.decorate('db', { transaction: (work, options) => db.transaction(work, options) })
  app.decorate('pingDatabase', () => db.ping())
  app.decorate('databasePoolStats', () => db.poolStats())
  app.addHook('onClose', async () => {
    await db.close()
    app.log.info('database closed')
  })
}, { name: 'db' })
