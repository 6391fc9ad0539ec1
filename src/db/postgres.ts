import pg from 'pg'
import { DatabaseUnavailable, DiskFull, ReferenceViolation, UniqueViolation } from '../errors.js'
import { storable } from './params.js'
import type { Db, Queryable, RunResult, SqlValue } from './types.js'

export interface PoolOptions {
  readonly max: number
  /** How long a query may wait for a free connection before it fails as DatabaseUnavailable. */
  readonly acquireTimeoutMs: number
  /** Told of errors on idle connections (the server restarted, a proxy cut them). */
  readonly onIdleError: (err: Error) => void
}

const SERIALIZATION_FAILURE = '40001'
const DEADLOCK = '40P01'
const UNIQUE_VIOLATION = '23505'
const FOREIGN_KEY_VIOLATION = '23503'
const DISK_FULL = '53100'
const MAX_ATTEMPTS = 5
/** Error codes that mean the database cannot be reached now, not that the query is wrong. */
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300'])

/** `?` placeholders (the repositories' dialect) as `$1, $2, …`, leaving quoted text alone. */
export function numberPlaceholders (sql: string): string {
  let n = 0
  return sql.replace(/'(?:[^']|'')*'|\?/g, (token) => token === '?' ? `$${++n}` : token)
}

function translate (err: unknown): unknown {
  const code = (err as { code?: unknown }).code
  // detail: "Key (email_key)=(…) already exists."
  if (code === UNIQUE_VIOLATION) return new UniqueViolation((err as Error).message, /^Key \((\w+)\)/.exec((err as { detail?: string }).detail ?? '')?.[1])
  if (code === FOREIGN_KEY_VIOLATION) return new ReferenceViolation((err as Error).message)
  if (code === DISK_FULL) return new DiskFull((err as Error).message)
  if (typeof code === 'string' && (UNAVAILABLE.has(code) || code.startsWith('08'))) {
    return new DatabaseUnavailable('Service Unavailable: the database cannot be reached', 2)
  }
  if (err instanceof Error && /timeout exceeded when trying to connect|Connection terminated/i.test(err.message)) {
    return new DatabaseUnavailable('Service Unavailable: the database is busy', 1)
  }
  return err
}

function queryable (client: pg.Pool | pg.PoolClient): Queryable {
  const query = async <T>(sql: string, params: readonly SqlValue[] = []) => {
    try {
      return await client.query<T & pg.QueryResultRow>(numberPlaceholders(sql), storable(params) as unknown[])
    } catch (err) {
      throw translate(err)
    }
  }
  return {
    all: async <T>(sql: string, params?: readonly SqlValue[]) => (await query<T>(sql, params)).rows as T[],
    one: async <T>(sql: string, params?: readonly SqlValue[]) => (await query<T>(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params?: readonly SqlValue[]): Promise<RunResult> => ({ changes: (await query(sql, params)).rowCount ?? 0 })
  }
}

export function openPostgres (url: string, options: PoolOptions): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max,
    connectionTimeoutMillis: options.acquireTimeoutMs,
    idleTimeoutMillis: 30_000,
    // BIGINT ids come back as strings by default; repositories turn them into numbers
    allowExitOnIdle: false
  })
  // an idle client that dies emits here; unheard, it would crash the process
  pool.on('error', options.onIdleError)
  const direct = queryable(pool)

  return {
    dialect: 'postgres',
    ...direct,
    /**
     * SERIALIZABLE, so a read-then-write (check an ETag, then update) cannot be
     * overtaken by another; the loser's serialization failure is retried from
     * the start, where it sees the winner's write.
     */
    async transaction<T>(work: (tx: Queryable) => Promise<T>, options: { readCommitted?: boolean } = {}): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        let client: pg.PoolClient
        try {
          client = await pool.connect()
        } catch (err) {
          throw translate(err)
        }
        let broken = false
        try {
          await client.query(options.readCommitted === true ? 'BEGIN' : 'BEGIN ISOLATION LEVEL SERIALIZABLE')
          const value = await work(queryable(client))
          await client.query('COMMIT')
          return value
        } catch (err) {
          await client.query('ROLLBACK').catch(() => { broken = true })
          const code = (err as { code?: unknown }).code
          if ((code === SERIALIZATION_FAILURE || code === DEADLOCK) && attempt < MAX_ATTEMPTS) continue
          throw translate(err)
        } finally {
          client.release(broken)
        }
      }
    },
    ping: async () => { await direct.one('SELECT 1') },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end()
  }
}
