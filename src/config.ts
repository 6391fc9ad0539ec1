import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** What each kind of setting is parsed into. */
interface KindValues {
  string: string
  /** A path, or null for `-`, which turns the file off. */
  file: string | null
  integer: number
  boolean: boolean
  /** Bytes, from `1048576`, `512kb` or `10mb`. */
  size: number
  level: LogLevel
  /** Without its trailing slashes. */
  url: string
  /** The flag names a file holding the secret (kept out of `ps`); the variable holds the secret itself. */
  secret: string
  /** `*`, or the origins allowed to call from a browser. */
  origins: '*' | readonly string[]
}
type Kind = keyof KindValues

/** One setting, declared once: everything else (the Config type, --help, parsing, .env.example) comes from it. */
interface OptionDeclaration {
  readonly flag: `--${string}`
  readonly env: string
  readonly kind: Kind
  /** Written as in the variable, and parsed as the variable would be; null: unset. */
  readonly default: string | null
  readonly help: string
  readonly min?: number
  readonly max?: number
  /** For a setting unset by default, the value .env.example shows (commented out). */
  readonly example?: string
}

/**
 * Every setting once: its flag, its environment variable, its default and its check.
 * Flags beat environment variables, which beat defaults. The order is that of
 * --help and .env.example.
 */
const DECLARATIONS = {
  host: { flag: '--host', env: 'HOST', kind: 'string', default: '127.0.0.1', help: 'address to bind' },
  port: { flag: '--port', env: 'PORT', kind: 'integer', default: '5000', min: 0, max: 65535, help: 'port to bind; 0 picks a free one' },
  database: { flag: '--database', env: 'DATABASE_URL', kind: 'string', default: './data/app.db', help: 'SQLite file path, :memory:, or a postgres:// URL' },
  dbPoolSize: { flag: '--db-pool-size', env: 'DB_POOL_SIZE', kind: 'integer', default: '10', min: 1, max: 1000, help: 'PostgreSQL connections per process' },
  dbAcquireTimeoutMs: { flag: '--db-acquire-timeout-ms', env: 'DB_ACQUIRE_TIMEOUT_MS', kind: 'integer', default: '2000', min: 1, max: 600_000, help: 'wait for a free connection before answering 503, milliseconds' },
  logFile: { flag: '--log-file', env: 'LOG_FILE', kind: 'file', default: './data/app.log', help: 'JSON-lines log file; - turns it off' },
  logLevel: { flag: '--log-level', env: 'LOG_LEVEL', kind: 'level', default: 'info', help: LOG_LEVELS.join(', ') },
  debug: { flag: '--debug', env: 'DEBUG', kind: 'boolean', default: 'false', help: 'readable logs on stdout, debug level, stack traces in 500 bodies' },
  workers: { flag: '--workers', env: 'WORKERS', kind: 'integer', default: '1', min: 1, max: 256, help: 'processes serving one port' },
  /** A port of its own for GET /metrics; null: served with the API. */
  metricsPort: { flag: '--metrics-port', env: 'METRICS_PORT', kind: 'integer', default: null, min: 0, max: 65535, example: '9100', help: 'serve GET /metrics on this port (same host) instead of with the API' },
  adminUser: { flag: '--admin-user', env: 'ADMIN_USER', kind: 'string', default: 'admin', help: 'name of the administrator' },
  /** The configured admin password, or null when the demo password is in use. */
  adminPassword: { flag: '--admin-password-file', env: 'ADMIN_PASSWORD', kind: 'secret', default: null, help: 'file holding the admin password (the variable holds the password itself); unset: the demo password, loopback only' },
  redisUrl: { flag: '--redis-url', env: 'REDIS_URL', kind: 'url', default: null, example: 'redis://127.0.0.1:6379', help: 'Redis shared by every process for rate limits' },
  demoData: { flag: '--demo-data', env: 'DEMO_DATA', kind: 'boolean', default: 'true', help: 'seed a new database with the tutorial\'s users (--no-demo-data: empty)' },
  trustProxy: { flag: '--trust-proxy', env: 'TRUST_PROXY', kind: 'boolean', default: 'false', help: 'take the client address from X-Forwarded-For' },
  publicUrl: { flag: '--public-url', env: 'PUBLIC_URL', kind: 'url', default: null, example: 'https://api.example.com', help: 'base URL of absolute links (default: the request\'s Host)' },
  corsOrigin: { flag: '--cors-origin', env: 'CORS_ORIGIN', kind: 'origins', default: '*', help: 'origins browsers may call from: * or a comma-separated list' },
  jsonLimit: { flag: '--json-limit', env: 'JSON_LIMIT', kind: 'size', default: '1mb', help: 'largest JSON or text body' },
  bodyLimit: { flag: '--body-limit', env: 'BODY_LIMIT', kind: 'size', default: '10mb', help: 'largest message or file' },
  multipartParts: { flag: '--multipart-parts', env: 'MULTIPART_PARTS', kind: 'integer', default: '10', min: 1, max: 1000, help: 'most fields and files in one multipart body' },
  tokenTtlSeconds: { flag: '--token-ttl', env: 'TOKEN_TTL', kind: 'integer', default: '3600', min: 60, max: 31_536_000, help: 'bearer token lifetime, seconds' },
  sessionTtlSeconds: { flag: '--session-ttl', env: 'SESSION_TTL', kind: 'integer', default: '2592000', min: 60, max: 31_536_000, help: 'lifetime of a login at /api (a web app\'s session), seconds; 30 days by default' },
  rateLimit: { flag: '--rate-limit', env: 'RATE_LIMIT', kind: 'integer', default: '0', min: 0, max: 100_000_000, help: 'requests per client address and window; 0: no quota' },
  rateLimitWindowSeconds: { flag: '--rate-limit-window', env: 'RATE_LIMIT_WINDOW', kind: 'integer', default: '60', min: 1, max: 86_400, help: 'the window of --rate-limit, seconds' },
  authFailureLimit: { flag: '--auth-failure-limit', env: 'AUTH_FAILURE_LIMIT', kind: 'integer', default: '10', min: 1, max: 1_000_000, help: 'failed authentications per client address and window before 429' },
  authFailureWindowSeconds: { flag: '--auth-failure-window', env: 'AUTH_FAILURE_WINDOW', kind: 'integer', default: '60', min: 1, max: 86_400, help: 'the window of --auth-failure-limit, seconds' },
  requestTimeoutSeconds: { flag: '--request-timeout', env: 'REQUEST_TIMEOUT', kind: 'integer', default: '30', min: 1, max: 3600, help: 'time for a request\'s headers and body to arrive, seconds' },
  keepAliveTimeoutSeconds: { flag: '--keep-alive-timeout', env: 'KEEP_ALIVE_TIMEOUT', kind: 'integer', default: '5', min: 1, max: 3600, help: 'idle keep-alive sockets are closed after, seconds' }
} as const satisfies Record<string, OptionDeclaration>

type Declarations = typeof DECLARATIONS
/** A setting's type: what its kind parses into, or null too when it has no default. */
type ValueOf<D extends OptionDeclaration> = D['default'] extends null ? KindValues[D['kind']] | null : KindValues[D['kind']]

/** The settings, each typed from its declaration. */
export type Config = { readonly [K in keyof Declarations]: ValueOf<Declarations[K]> }

export interface OptionSpec extends OptionDeclaration {
  readonly key: keyof Config
}

/** The declarations as a list, in order, each with its Config key. */
export const OPTIONS: readonly OptionSpec[] = Object.freeze(Object.entries(DECLARATIONS).map(
  ([key, declaration]: [string, OptionDeclaration]) => Object.freeze({ key: key as keyof Config, ...declaration })))

export const DEMO_ADMIN_PASSWORD = 'secret'
/** Passwords that are placeholders, whatever their length: never acceptable off loopback. */
const PLACEHOLDER_PASSWORDS = new Set(['secret', 'changeme', 'change-me', 'password', 'admin', 'example'])
const MIN_PUBLIC_PASSWORD_LENGTH = 12

/**
 * A configuration error: the CLI prints each problem as one line and exits 2.
 * `problems` holds every bad option found, not only the first.
 */
export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly problems: readonly string[]
  constructor (problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : [...problems]
    super(list.join('\n'))
    this.problems = Object.freeze(list)
  }
}

/** How a problem names the option: where the value came from first, then its other name. */
function optionName (spec: OptionSpec, fromFlag: boolean): string {
  return fromFlag ? `${spec.flag} (variable ${spec.env})` : `${spec.env} (flag ${spec.flag})`
}

/** A bad value, as one line of a ConfigError. */
class InvalidValue extends Error {}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 }

function parseValue (spec: OptionSpec, raw: string, fromFlag: boolean): unknown {
  const fail = (why: string): never => {
    // a secret is never echoed; the flag's value is only the file's name
    const shown = spec.kind === 'secret' && !fromFlag ? '' : ` ${JSON.stringify(raw)}`
    throw new InvalidValue(`invalid ${optionName(spec, fromFlag)}${shown}: ${why}`)
  }
  switch (spec.kind) {
    case 'string':
      if (raw.trim() === '') fail('must not be empty')
      return raw
    case 'file':
      if (raw.trim() === '') fail('must not be empty (- turns it off)')
      return raw === '-' ? null : raw
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
      if (!fromFlag) return raw
      return readSecretFile(raw, fail)
  }
}

/** Reads a secret file, dropping the final newline an editor or `echo` leaves. */
function readSecretFile (path: string, fail: (why: string) => never): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    return fail((err as NodeJS.ErrnoException).code ?? 'unreadable')
  }
  const secret = text.replace(/\r?\n$/, '')
  if (secret === '') fail('the file is empty')
  return secret
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

export function isLoopback (host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1' || host === '[::1]'
}

/**
 * Parses command-line arguments and environment variables into a frozen Config.
 * Throws one ConfigError listing every bad option, each naming its flag and variable.
 */
export function loadConfig (argv: readonly string[] = [], env: Record<string, string | undefined> = process.env): ParsedArgs {
  const problems: string[] = []
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
      if (inline !== undefined) problems.push(`invalid ${name} (variable ${negated.env}): takes no value`)
      else fromFlags.set(negated.key, 'false')
      continue
    }
    const spec = OPTIONS.find((o) => o.flag === name)
    if (spec === undefined) { problems.push(`unknown option ${name} (see --help)`); continue }
    if (spec.kind === 'boolean' && inline === undefined) { fromFlags.set(spec.key, 'true'); continue }
    const value = inline ?? argv[++i]
    if (value === undefined) { problems.push(`option ${optionName(spec, true)} needs a value`); continue }
    fromFlags.set(spec.key, value)
  }

  const values: Record<string, unknown> = {}
  for (const spec of OPTIONS) {
    const flagValue = fromFlags.get(spec.key)
    const envValue = env[spec.env]
    try {
      if (flagValue !== undefined) values[spec.key] = parseValue(spec, flagValue, true)
      else if (envValue !== undefined && envValue !== '') values[spec.key] = parseValue(spec, envValue, false)
      else values[spec.key] = spec.default === null ? null : parseValue(spec, spec.default, false)
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err
      problems.push(err.message)
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)

  return { positionals, help, config: Object.freeze(values as Config) }
}

/**
 * `argv` with one more flag setting `key`, which beats any earlier one: for a
 * process started with the same arguments but, say, the port actually bound.
 */
export function argsWith (argv: readonly string[], key: keyof Config, value: string): string[] {
  const flag = `${DECLARATIONS[key].flag}=${value}`
  // after `--` every word is positional, so the flag goes before it
  const end = argv.indexOf('--')
  return end === -1 ? [...argv, flag] : [...argv.slice(0, end), flag, ...argv.slice(end)]
}

/**
 * The demo password may only guard a loopback address; anything reachable from
 * another machine needs a real one. Workers need a database they can share.
 * Throws one ConfigError listing every problem.
 */
export function assertSafeToServe (config: Config): void {
  const problems: string[] = []
  const { workers, database, adminPassword: password } = DECLARATIONS
  if (config.workers > 1 && config.database === ':memory:') {
    problems.push(`invalid ${workers.flag} (variable ${workers.env}) ${config.workers} with ${database.flag} (variable ${database.env}) :memory:: ` +
      'workers share one database, and each would get its own :memory: one')
  }
  if (!isLoopback(config.host)) {
    if (config.adminPassword === null) {
      problems.push(`refusing to listen on ${config.host} with the demo admin password: set ${password.env} or ${password.flag}`)
    } else if (PLACEHOLDER_PASSWORDS.has(config.adminPassword.toLowerCase()) || config.adminPassword.length < MIN_PUBLIC_PASSWORD_LENGTH) {
      problems.push(`refusing to listen on ${config.host}: the admin password (${password.env} or ${password.flag}) must be at least ${MIN_PUBLIC_PASSWORD_LENGTH} characters and not a placeholder`)
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)
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

/** How to rewrite .env.example after a declaration changed (no npm script needed). */
export const ENV_EXAMPLE_COMMAND = 'node --import tsx scripts/env-example.ts'

/**
 * The text of .env.example: every variable the configuration reads, with its
 * default, or commented out when it has none. test/env-example.test.ts keeps
 * the file equal to it.
 */
export function envExample (): string {
  const lines = [
    '# Every variable restful-api reads, with its default. A flag (restful-api --help)',
    '# beats its variable, which beats the default.',
    `# Generated from the declarations in src/config.ts: rewrite it with \`${ENV_EXAMPLE_COMMAND}\`.`
  ]
  for (const spec of OPTIONS) {
    lines.push('', `# ${spec.help} (${spec.flag})`)
    lines.push(spec.default === null ? `# ${spec.env}=${spec.example ?? ''}` : `${spec.env}=${spec.default}`)
  }
  return lines.join('\n') + '\n'
}
