import { ServiceUnavailable } from '../errors.js'

/**
 * Counts failed authentications per client key in fixed windows. `retryAfter`
 * says how long a key is blocked (0: not blocked).
 */
export interface FailureLimiter {
  retryAfterSeconds (key: string): Promise<number>
  recordFailure (key: string): Promise<void>
}

const MAX_TRACKED_KEYS = 100_000

export function createMemoryFailureLimiter (limit: number, windowSeconds: number, now = Date.now): FailureLimiter {
  const windows = new Map<string, { failures: number, resetAt: number }>()

  const current = (key: string) => {
    const entry = windows.get(key)
    if (entry !== undefined && entry.resetAt <= now()) {
      windows.delete(key)
      return undefined
    }
    return entry
  }

  return {
    async retryAfterSeconds (key) {
      const entry = current(key)
      return entry !== undefined && entry.failures >= limit ? (entry.resetAt - now()) / 1000 : 0
    },
    async recordFailure (key) {
      const entry = current(key)
      if (entry !== undefined) {
        entry.failures++
        return
      }
      // a flood of distinct addresses must not grow the map without bound
      if (windows.size >= MAX_TRACKED_KEYS) {
        const t = now()
        for (const [k, e] of windows) if (e.resetAt <= t) windows.delete(k)
        // still full of live entries: the oldest goes first
        if (windows.size >= MAX_TRACKED_KEYS) windows.delete(windows.keys().next().value as string)
      }
      windows.set(key, { failures: 1, resetAt: now() + windowSeconds * 1000 })
    }
  }
}

/** The commands the Redis limiter needs, so that any client (ioredis, a test double) fits. */
export interface RedisCommands {
  eval (script: string, keys: number, ...args: Array<string | number>): Promise<unknown>
}

// one round trip each, atomic: count a failure and start its window; read a count and what is left of it
const RECORD = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n"
const READ = "return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}"

/**
 * The same fixed windows in Redis, so every process and host counts one
 * client's failures together. When Redis cannot answer, authentication is
 * refused with 503 rather than let through uncounted.
 */
export function createRedisFailureLimiter (redis: RedisCommands, limit: number, windowSeconds: number, prefix = 'restful-api:auth-failures:'): FailureLimiter {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work()
    } catch {
      throw ServiceUnavailable('Service Unavailable: the rate limit store cannot be reached', 2)
    }
  }
  return {
    retryAfterSeconds: (key) => guard(async () => {
      const [failures, ttlMs] = await redis.eval(READ, 1, prefix + key) as [number, number]
      return failures >= limit && ttlMs > 0 ? ttlMs / 1000 : 0
    }),
    recordFailure: (key) => guard(async () => { await redis.eval(RECORD, 1, prefix + key, windowSeconds * 1000) })
  }
}
