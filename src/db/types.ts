export type SqlValue = string | number | bigint | Buffer | null
export type Row = Record<string, unknown>

export interface RunResult {
  /** Rows written by the statement. */
  readonly changes: number
}

/**
 * The one query interface every repository uses, whatever the engine. SQL is
 * written with `?` placeholders; the driver adapts them to its dialect.
 */
export interface Queryable {
  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>
  one<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>
}

export interface Db extends Queryable {
  readonly dialect: 'sqlite' | 'postgres'
  /**
   * Runs `work` in one transaction that is committed before the promise
   * resolves: serializable, unless `readCommitted` lets each statement see what
   * others committed meanwhile (for work that serialises itself with a lock).
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>, options?: { readCommitted?: boolean }): Promise<T>
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  /** Connections of a pool (PostgreSQL); undefined for one embedded connection. */
  poolStats(): { total: number, idle: number, waiting: number } | undefined
  close(): Promise<void>
}
