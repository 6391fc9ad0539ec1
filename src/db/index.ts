import { ConfigError } from '../config.js'
import type { PoolOptions } from './postgres.js'
import { openSqlite } from './sqlite.js'
import type { Db } from './types.js'

export type { Db, Queryable, SqlValue } from './types.js'

const DEFAULT_POOL: PoolOptions = { max: 10, acquireTimeoutMs: 2000, onIdleError: () => {} }

const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url)

/**
 * The database URL's scheme picks the engine: `postgres://` or else an SQLite path.
 * The PostgreSQL driver is loaded only when used: it costs an SQLite process ~15 MB.
 */
export async function createDb (url: string, pool: Partial<PoolOptions> = {}): Promise<Db> {
  if (isPostgresUrl(url)) {
    const { openPostgres } = await import('./postgres.js')
    return openPostgres(url, { ...DEFAULT_POOL, ...pool })
  }
  if (/^[a-z][a-z\d+.-]+:\/\//i.test(url) && !/^sqlite:/i.test(url)) {
    throw new ConfigError(`invalid --database ${JSON.stringify(url)}: use an SQLite path, :memory: or a postgres:// URL`)
  }
  const path = url.replace(/^sqlite:(\/\/)?/i, '')
  try {
    return openSqlite(path)
  } catch (err) {
    throw new ConfigError(`invalid --database ${JSON.stringify(path)}: ${(err as Error).message}`)
  }
}
