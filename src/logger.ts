import { mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import pino, { type Bindings, type ChildLoggerOptions, type Level, type Logger } from 'pino'
import pretty from 'pino-pretty'
import { ConfigError, type Config } from './config.js'
import { LogFile } from './lib/log-file.js'

/** Anything that could carry a credential, wherever it appears in a log object. */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'headers.authorization', 'authorization',
  'password', '*.password', 'token', '*.token', 'adminPassword', '*.adminPassword'
]

/**
 * JSON lines to the log file; in --debug also readable lines on stdout.
 * Without a file and without --debug nothing is logged.
 */
export function createLogger (config: Config): Logger {
  const level = config.debug ? 'debug' : config.logLevel
  if (level === 'silent') return pino({ level })
  const streams: pino.StreamEntry[] = []
  if (config.logFile !== null) {
    // opened here, so that a path that cannot be written stops the start with one line
    let fd: number
    try {
      mkdirSync(dirname(config.logFile), { recursive: true })
      fd = openSync(config.logFile, 'a')
    } catch (err) {
      throw new ConfigError(`invalid --log-file ${JSON.stringify(config.logFile)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    streams.push({ level, stream: new LogFile(fd) })
  }
  if (config.debug) {
    streams.push({ level, stream: pretty({ destination: 1, colorize: process.stdout.isTTY, sync: true, translateTime: 'SYS:HH:MM:ss.l' }) })
  }
  if (streams.length === 0) return pino({ level: 'silent' })
  // one stream is written to directly: multistream costs a dispatch on every line
  const destination = streams.length === 1 ? streams[0]!.stream : pino.multistream(streams)
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination)
}

/**
 * The private parts of a pino logger that lineWriter reads, by their names in
 * pino.symbols. They are not pino's API: any release may rename or reshape one,
 * and the writer would then go on writing something else without a word. So
 * lineWriter checks them first (fastPathProblem) and otherwise takes pino's
 * generic path, and test/logger.test.ts fails the day a pino upgrade changes them.
 */
export const FAST_PATH_SYMBOLS = [
  'lsCacheSym', 'timeSym', 'chindingsSym', 'messageKeySym', 'endSym', 'streamSym', 'needsMetadataGsym',
  // only to check that the fast line is the line pino would write (see fastPathProblem)
  'asJsonSym', 'mixinSym', 'hooksSym'
] as const satisfies ReadonlyArray<keyof typeof pino.symbols>

type MetadataStream = pino.DestinationStream & { [pino.symbols.needsMetadataGsym]?: boolean, lastLevel?: number }

interface LoggerInternals {
  [pino.symbols.lsCacheSym]?: Record<number, string>
  [pino.symbols.timeSym]?: () => string
  [pino.symbols.chindingsSym]?: string
  [pino.symbols.messageKeySym]?: string
  [pino.symbols.endSym]?: string
  [pino.symbols.streamSym]?: MetadataStream
  [pino.symbols.asJsonSym]?: (obj: object, msg: string, level: number, time: string) => string
  [pino.symbols.mixinSym]?: unknown
  [pino.symbols.hooksSym]?: { logMethod?: unknown, streamWrite?: unknown }
}

/** What a fast line is made of, read once from the logger. */
interface LineParts {
  /** `{"level":30` */
  readonly start: string
  /** `,"time":1700000000000`, new for every line */
  readonly time: () => string
  /** `,"pid":…,"hostname":…` and the child's bindings */
  readonly bindings: string
  /** `,"msg":"…"}\n` */
  readonly end: string
  readonly stream: MetadataStream
  readonly levelValue: number
}

const line = (parts: LineParts, time: string, fields: string) => `${parts.start}${time}${parts.bindings},${fields}${parts.end}`

/**
 * The parts of a fast line, or why the logger's internals are not what
 * lineWriter expects. Each symbol must exist and each value have its type, and
 * the line built from the parts must be the one pino itself builds (its asJson)
 * for a probe, so that level and log formatters, a nestedKey, a msg serialiser
 * or a new layout all show; what pino does outside asJson (a mixin, the
 * logMethod and streamWrite hooks, a msgPrefix) must be off.
 */
function lineParts (logger: Logger, level: Level, msg: string): LineParts | string {
  const { symbols } = pino
  for (const name of FAST_PATH_SYMBOLS) {
    if (typeof symbols[name] !== 'symbol') return `pino.symbols.${name} is not a symbol`
  }
  const internals = logger as unknown as LoggerInternals
  const levelValue = logger.levels.values[level]
  if (typeof levelValue !== 'number') return `level ${level} has no number`
  const start = internals[symbols.lsCacheSym]?.[levelValue]
  if (typeof start !== 'string') return 'the level cache (lsCacheSym) holds no string for the level'
  const time = internals[symbols.timeSym]
  if (typeof time !== 'function') return 'the clock (timeSym) is not a function'
  const bindings = internals[symbols.chindingsSym]
  if (typeof bindings !== 'string') return 'the bindings (chindingsSym) are not a string'
  const messageKey = internals[symbols.messageKeySym]
  if (typeof messageKey !== 'string') return 'the message key (messageKeySym) is not a string'
  const lineEnd = internals[symbols.endSym]
  if (typeof lineEnd !== 'string') return 'the line end (endSym) is not a string'
  const stream = internals[symbols.streamSym]
  if (typeof stream?.write !== 'function') return 'the destination (streamSym) has no write method'
  const asJson = internals[symbols.asJsonSym]
  if (typeof asJson !== 'function') return 'the line builder (asJsonSym) is not a function'
  const hooks = internals[symbols.hooksSym]
  if (hooks === null || typeof hooks !== 'object') return 'the hooks (hooksSym) are not an object'
  if (hooks.logMethod !== undefined || hooks.streamWrite !== undefined) return 'a logMethod or streamWrite hook is set'
  if (internals[symbols.mixinSym] !== undefined) return 'a mixin is set'
  if (logger.msgPrefix !== undefined && logger.msgPrefix !== '') return 'a msgPrefix is set'
  const parts: LineParts = { start, time, bindings, end: `,${JSON.stringify(messageKey)}:${JSON.stringify(msg)}${lineEnd}`, stream, levelValue }
  const probeTime: unknown = time.call(logger)
  if (typeof probeTime !== 'string') return 'the clock (timeSym) does not return a string'
  let expected: unknown
  try {
    expected = asJson.call(logger, { probe: 1 }, msg, levelValue, probeTime)
  } catch {
    return 'the line builder (asJsonSym) threw on a probe'
  }
  if (expected !== line(parts, probeTime, '"probe":1')) return 'the line differs from the one pino builds (asJsonSym)'
  return parts
}

/** Why lineWriter would take pino's generic path for this logger, or undefined when it takes the fast one. */
export function fastPathProblem (logger: Logger, level: Level = 'info', msg = 'request'): string | undefined {
  const parts = lineParts(logger, level, msg)
  return typeof parts === 'string' ? parts : undefined
}

/**
 * A writer of lines of one message at one level, byte for byte as pino would
 * write them (`{"level":30,"time":…,"pid":…,"hostname":…,FIELDS,"msg":…}`),
 * straight to the logger's destination; undefined when the level is off.
 * FIELDS (one or more JSON members) are the caller's to serialise, and to
 * keep free of secrets: pino's redaction does not see them. For a line of
 * fixed shape, pino's generic path (for each field its type, serialiser and
 * stringifier looked up, its key escaped) cost as much as the rest of a small
 * request's bookkeeping together (instructions counted with callgrind; see the
 * README's Performance section).
 *
 * The fast path reads pino's private fields (see FAST_PATH_SYMBOLS). When they
 * are not what it expects (a pino upgrade, an option that changes the line),
 * the writer hands the fields to pino's generic path instead: slower, but the
 * line is still pino's, redaction included. The one warning that says so names
 * only the internal that differs, never a field's value.
 */
export function lineWriter (logger: Logger, level: Level, msg: string): ((fields: string) => void) | undefined {
  if (!logger.isLevelEnabled(level)) return undefined
  const parts = lineParts(logger, level, msg)
  if (typeof parts === 'string') {
    logger.warn({ problem: parts }, 'pino\'s internals are not what the fast log writer expects: lines go through pino\'s generic path')
    const log = logger[level].bind(logger)
    return (fields) => {
      let members: object
      try {
        members = JSON.parse(`{${fields}}`) as object
      } catch {
        members = { fieldsInvalid: true }
      }
      log(members, msg)
    }
  }
  const { time, stream, levelValue } = parts
  // a multistream picks its destinations by the level pino leaves on it; the rest of pino's
  // metadata (lastObj, lastMsg, lastTime) is not set: LogFile and pino-pretty read only the line
  const tellsLevel = stream[pino.symbols.needsMetadataGsym] === true
  return (fields) => {
    if (tellsLevel) stream.lastLevel = levelValue
    stream.write(line(parts, time.call(logger), fields))
  }
}

/**
 * request.log, made only when something logs through it. Most requests log
 * just their request line, which request-context writes through a logger of
 * its own, and a pino child per request (its bindings serialised, its methods
 * rebuilt) costs more than that line.
 */
class LazyChildLogger {
  #logger: FastifyBaseLogger | undefined
  constructor (readonly parent: FastifyBaseLogger, readonly bindings: Bindings, readonly options: ChildLoggerOptions) {}
  get #real (): FastifyBaseLogger { return (this.#logger ??= this.parent.child(this.bindings, this.options)) }
  get level (): string { return this.#real.level }
  set level (level: string) { this.#real.level = level }
  #log (level: Level | 'silent', args: unknown[]): void { (this.#real[level] as (...args: unknown[]) => void)(...args) }
  fatal (...args: unknown[]): void { this.#log('fatal', args) }
  error (...args: unknown[]): void { this.#log('error', args) }
  warn (...args: unknown[]): void { this.#log('warn', args) }
  info (...args: unknown[]): void { this.#log('info', args) }
  debug (...args: unknown[]): void { this.#log('debug', args) }
  trace (...args: unknown[]): void { this.#log('trace', args) }
  silent (...args: unknown[]): void { this.#log('silent', args) }
  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger { return this.#real.child(bindings, options) }
}

export const lazyChildLogger = (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) =>
  new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger
