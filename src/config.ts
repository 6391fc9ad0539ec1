import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export interface Config {
  readonly host: string
  readonly port: number
  readonly database: string
  readonly logFile: string | null
  readonly logLevel: LogLevel
  readonly debug: boolean
  readonly workers: number
  /** A port of its own for GET /metrics; null: served with the API. */
  readonly metricsPort: number | null
  readonly adminUser: string
  /** The configured admin password, or null when the demo password is in use. */
  readonly adminPassword: string | null
  readonly redisUrl: string | null
  readonly demoData: boolean
  readonly trustProxy: boolean
  readonly publicUrl: string | null
  /** `*`, or the origins allowed to call from a browser. */
  readonly corsOrigin: '*' | readonly string[]
  readonly dbPoolSize: number
  readonly dbAcquireTimeoutMs: number
  readonly jsonLimit: number
  readonly bodyLimit: number
  readonly multipartParts: number
  readonly tokenTtlSeconds: number
  readonly rateLimit: number
  readonly rateLimitWindowSeconds: number
  readonly authFailureLimit: number
  readonly authFailureWindowSeconds: number
  readonly requestTimeoutSeconds: number
  readonly keepAliveTimeoutSeconds: number
}

export const DEMO_ADMIN_PASSWORD = 'secret'
/** Passwords that are placeholders, whatever their length: never acceptable off loopback. */
const PLACEHOLDER_PASSWORDS = new Set(['secret', 'changeme', 'change-me', 'password', 'admin', 'example'])
const MIN_PUBLIC_PASSWORD_LENGTH = 12

/** A configuration error: the CLI prints its message as one line and exits non-zero. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

type Kind = 'string' | 'integer' | 'boolean' | 'size' | 'level' | 'url' | 'secret' | 'origins'

interface OptionSpec {
  readonly key: keyof Config
  readonly flag: string
  readonly env: string
  readonly kind: Kind
  readonly default: string | null
  readonly help: string
  readonly min?: number
  readonly max?: number
}

/**
 * Every setting once: its flag, its environment variable, its default and its check.
 * Flags beat environment variables, which beat defaults.
 */
export const OPTIONS: readonly OptionSpec[] = [
  { key: 'host', flag: '--host', env: 'HOST', kind: 'string', default: '127.0.0.1', help: 'address to bind' },
  { key: 'port', flag: '--port', env: 'PORT', kind: 'integer', default: '5000', min: 0, max: 65535, help: 'port to bind; 0 picks a free one' },
  { key: 'database', flag: '--database', env: 'DATABASE_URL', kind: 'string', default: './data/app.db', help: 'SQLite file path, :memory:, or a postgres:// URL' },
  { key: 'dbPoolSize', flag: '--db-pool-size', env: 'DB_POOL_SIZE', kind: 'integer', default: '10', min: 1, max: 1000, help: 'PostgreSQL connections per process' },
  { key: 'dbAcquireTimeoutMs', flag: '--db-acquire-timeout-ms', env: 'DB_ACQUIRE_TIMEOUT_MS', kind: 'integer', default: '2000', min: 1, max: 600_000, help: 'wait for a free connection before answering 503, milliseconds' },
  { key: 'logFile', flag: '--log-file', env: 'LOG_FILE', kind: 'string', default: './data/app.log', help: 'JSON-lines log file; - turns it off' },
  { key: 'logLevel', flag: '--log-level', env: 'LOG_LEVEL', kind: 'level', default: 'info', help: LOG_LEVELS.join(', ') },
  { key: 'debug', flag: '--debug', env: 'DEBUG', kind: 'boolean', default: 'false', help: 'readable logs on stdout, debug level, stack traces in 500 bodies' },
  { key: 'workers', flag: '--workers', env: 'WORKERS', kind: 'integer', default: '1', min: 1, max: 256, help: 'processes serving one port' },
  { key: 'metricsPort', flag: '--metrics-port', env: 'METRICS_PORT', kind: 'integer', default: null, min: 0, max: 65535, help: 'serve GET /metrics on this port (same host) instead of with the API' },
  { key: 'adminUser', flag: '--admin-user', env: 'ADMIN_USER', kind: 'string', default: 'admin', help: 'name of the administrator' },
  { key: 'adminPassword', flag: '--admin-password-file', env: 'ADMIN_PASSWORD', kind: 'secret', default: null, help: 'file holding the admin password (the variable holds the password itself); unset: the demo password, loopback only' },
  { key: 'redisUrl', flag: '--redis-url', env: 'REDIS_URL', kind: 'url', default: null, help: 'Redis shared by every process for rate limits' },
  { key: 'demoData', flag: '--demo-data', env: 'DEMO_DATA', kind: 'boolean', default: 'true', help: 'seed a new database with the tutorial\'s users (--no-demo-data: empty)' },
  { key: 'trustProxy', flag: '--trust-proxy', env: 'TRUST_PROXY', kind: 'boolean', default: 'false', help: 'take the client address from X-Forwarded-For' },
  { key: 'publicUrl', flag: '--public-url', env: 'PUBLIC_URL', kind: 'url', default: null, help: 'base URL of absolute links (default: the request\'s Host)' },
  { key: 'corsOrigin', flag: '--cors-origin', env: 'CORS_ORIGIN', kind: 'origins', default: '*', help: 'origins browsers may call from: * or a comma-separated list' },
  { key: 'jsonLimit', flag: '--json-limit', env: 'JSON_LIMIT', kind: 'size', default: '1mb', help: 'largest JSON or text body' },
  { key: 'bodyLimit', flag: '--body-limit', env: 'BODY_LIMIT', kind: 'size', default: '10mb', help: 'largest message or file' },
  { key: 'multipartParts', flag: '--multipart-parts', env: 'MULTIPART_PARTS', kind: 'integer', default: '10', min: 1, max: 1000, help: 'most fields and files in one multipart body' },
  { key: 'tokenTtlSeconds', flag: '--token-ttl', env: 'TOKEN_TTL', kind: 'integer', default: '3600', min: 60, max: 31_536_000, help: 'bearer token lifetime, seconds' },
  { key: 'rateLimit', flag: '--rate-limit', env: 'RATE_LIMIT', kind: 'integer', default: '0', min: 0, max: 100_000_000, help: 'requests per client address and window; 0: no quota' },
  { key: 'rateLimitWindowSeconds', flag: '--rate-limit-window', env: 'RATE_LIMIT_WINDOW', kind: 'integer', default: '60', min: 1, max: 86_400, help: 'that window, seconds' },
  { key: 'authFailureLimit', flag: '--auth-failure-limit', env: 'AUTH_FAILURE_LIMIT', kind: 'integer', default: '10', min: 1, max: 1_000_000, help: 'failed authentications per client address and window before 429' },
  { key: 'authFailureWindowSeconds', flag: '--auth-failure-window', env: 'AUTH_FAILURE_WINDOW', kind: 'integer', default: '60', min: 1, max: 86_400, help: 'that window, seconds' },
  { key: 'requestTimeoutSeconds', flag: '--request-timeout', env: 'REQUEST_TIMEOUT', kind: 'integer', default: '30', min: 1, max: 3600, help: 'time for a request\'s headers and body to arrive, seconds' },
  { key: 'keepAliveTimeoutSeconds', flag: '--keep-alive-timeout', env: 'KEEP_ALIVE_TIMEOUT', kind: 'integer', default: '5', min: 1, max: 3600, help: 'idle keep-alive sockets are closed after, seconds' }
]

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 }

function parseValue (spec: OptionSpec, raw: string, fromFlag: boolean): unknown {
  const fail = (why: string): never => {
    throw new ConfigError(`invalid ${fromFlag ? spec.flag : spec.env} ${JSON.stringify(raw)}: ${why}`)
  }
  switch (spec.kind) {
    case 'string':
      if (raw.trim() === '') fail('must not be empty')
      return raw
    case 'integer': {
      if (!/^\d+$/.test(raw)) fail('must be a whole number')
      const value = Number(raw)
      if (value < (spec.min ?? 0) || value > (spec.max ?? Number.MAX_SAFE_INTEGER)) fail(`must be between ${spec.min ?? 0} and ${spec.max}`)
      return value
    }
    case 'boolean': {
      const value = raw.toLowerCase()
      if (['1', 'true', 'yes', 'on'].includes(value)) return true
      if (['0', 'false', 'no', 'off', ''].includes(value)) return false
      return fail('must be true or false')
    }
    case 'size': {
      const match = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim())
      const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? 'x']
      if (match === null || unit === undefined) return fail('must be a size such as 1048576, 512kb or 10mb')
      const value = Number(match[1]) * unit
      if (value < 1) fail('must be at least 1 byte')
      return value
    }
    case 'level':
      if (!(LOG_LEVELS as readonly string[]).includes(raw)) fail(`must be one of ${LOG_LEVELS.join(', ')}`)
      return raw
    case 'url':
      if (!URL.canParse(raw)) fail('must be an absolute URL')
      return raw.replace(/\/+$/, '')
    case 'origins': {
      if (raw.trim() === '*') return '*'
      const origins = raw.split(',').map((o) => o.trim()).filter(Boolean)
      for (const origin of origins) {
        if (!URL.canParse(origin) || new URL(origin).origin !== origin) fail(`${origin} is not an origin such as https://app.example.com`)
      }
      if (origins.length === 0) fail('must be * or a list of origins')
      return Object.freeze(origins)
    }
    case 'secret':
      // the flag names a file (kept out of `ps`); the variable holds the secret itself
      return fromFlag ? readSecretFile(raw, spec.flag) : raw
  }
}

export interface ParsedArgs {
  /** Positional words: the command and its arguments. */
  readonly positionals: string[]
  readonly help: boolean
  readonly config: Config
}

function splitFlag (arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=')
  return eq === -1 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)]
}

/** Reads a secret file, dropping the final newline an editor or `echo` leaves. */
function readSecretFile (path: string, name: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`invalid ${name} ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`)
  }
  const secret = text.replace(/\r?\n$/, '')
  if (secret === '') throw new ConfigError(`invalid ${name} ${JSON.stringify(path)}: the file is empty`)
  return secret
}

export function isLoopback (host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1' || host === '[::1]'
}

/**
 * Parses command-line arguments and environment variables into a frozen Config.
 * Throws ConfigError naming the first bad option.
 */
export function loadConfig (argv: readonly string[] = [], env: Record<string, string | undefined> = process.env): ParsedArgs {
  const fromFlags = new Map<keyof Config, string>()
  const positionals: string[] = []
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--help' || arg === '-h') { help = true; continue }
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break }
    if (!arg.startsWith('--')) { positionals.push(arg); continue }
    const [name, inline] = splitFlag(arg)
    const negated = name.startsWith('--no-') ? OPTIONS.find((o) => o.kind === 'boolean' && o.flag === `--${name.slice(5)}`) : undefined
    if (negated !== undefined) {
      if (inline !== undefined) throw new ConfigError(`invalid ${name}: takes no value`)
      fromFlags.set(negated.key, 'false')
      continue
    }
    const spec = OPTIONS.find((o) => o.flag === name)
    if (spec === undefined) throw new ConfigError(`unknown option ${name} (see --help)`)
    if (spec.kind === 'boolean' && inline === undefined) { fromFlags.set(spec.key, 'true'); continue }
    const value = inline ?? argv[++i]
    if (value === undefined) throw new ConfigError(`option ${name} needs a value`)
    fromFlags.set(spec.key, value)
  }

  const values: Record<string, unknown> = {}
  for (const spec of OPTIONS) {
    const flagValue = fromFlags.get(spec.key)
    const envValue = env[spec.env]
    let value: unknown = null
    if (flagValue !== undefined) {
      value = parseValue(spec, flagValue, true)
    } else if (envValue !== undefined && envValue !== '') {
      value = parseValue(spec, envValue, false)
    } else if (spec.default !== null) {
      value = parseValue(spec, spec.default, false)
    }
    values[spec.key] = value
  }
  if (values.logFile === '-') values.logFile = null

  return { positionals, help, config: Object.freeze(values as unknown as Config) }
}

/**
 * The demo password may only guard a loopback address; anything reachable from
 * another machine needs a real one. Workers need a database they can share.
 */
export function assertSafeToServe (config: Config): void {
  if (config.workers > 1 && config.database === ':memory:') {
    throw new ConfigError('invalid --workers: workers share one database, and each would get its own :memory: one')
  }
  if (isLoopback(config.host)) return
  if (config.adminPassword === null) {
    throw new ConfigError(`refusing to listen on ${config.host} with the demo admin password: set ADMIN_PASSWORD or --admin-password-file`)
  }
  if (PLACEHOLDER_PASSWORDS.has(config.adminPassword.toLowerCase()) || config.adminPassword.length < MIN_PUBLIC_PASSWORD_LENGTH) {
    throw new ConfigError(`refusing to listen on ${config.host}: the admin password must be at least ${MIN_PUBLIC_PASSWORD_LENGTH} characters and not a placeholder`)
  }
}

export function helpText (): string {
  const lines = [
    'Usage: restful-api [command] [options]',
    '',
    'Commands:',
    '  serve               serve the API (default)',
    '  migrate             create or upgrade the database schema, then exit',
    '  users add NAME      create a user; the password is read from stdin',
    '  tokens create USER  print a new bearer token for USER',
    '',
    'Options (flag, environment variable, default):'
  ]
  for (const spec of OPTIONS) {
    const flag = spec.kind === 'boolean' ? spec.flag : `${spec.flag} VALUE`
    lines.push(`  ${flag.padEnd(30)}${spec.env.padEnd(22)}${spec.default ?? '(unset)'}`)
    lines.push(`      ${spec.help}`)
  }
  lines.push('  --help, -h                    this text')
  return lines.join('\n') + '\n'
}
