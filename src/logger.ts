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

interface LoggerInternals {
  [pino.symbols.lsCacheSym]: Record<number, string>
  [pino.symbols.timeSym]: () => string
  [pino.symbols.chindingsSym]: string
  [pino.symbols.messageKeySym]: string
  [pino.symbols.endSym]: string
  [pino.symbols.streamSym]: pino.DestinationStream & { [pino.symbols.needsMetadataGsym]?: boolean, lastLevel?: number }
}

/**
 * A writer of lines of one message at one level, byte for byte as pino would
 * write them (`{"level":30,"time":…,"pid":…,"hostname":…,FIELDS,"msg":…}`),
 * straight to the logger's destination; undefined when the level is off.
 * FIELDS (one or more JSON members) are the caller's to serialise: for a line
 * of fixed shape, pino's generic path (for each field its type, serialiser and
 * stringifier looked up, its key escaped) cost as much as the rest of a small
 * request's bookkeeping together (instructions counted with callgrind; see the
 * README's Performance section).
 */
export function lineWriter (logger: Logger, level: Level, msg: string): ((fields: string) => void) | undefined {
  if (!logger.isLevelEnabled(level)) return undefined
  const internals = logger as unknown as LoggerInternals
  const { symbols } = pino
  const levelValue = logger.levels.values[level]!
  const start = internals[symbols.lsCacheSym][levelValue]!
  const end = `,${JSON.stringify(internals[symbols.messageKeySym])}:${JSON.stringify(msg)}${internals[symbols.endSym]}`
  const stream = internals[symbols.streamSym]
  const bindings = internals[symbols.chindingsSym]
  // a multistream picks its destinations by the level pino leaves on it
  const tellsLevel = stream[symbols.needsMetadataGsym] === true
  return (fields) => {
    if (tellsLevel) stream.lastLevel = levelValue
    stream.write(`${start}${internals[symbols.timeSym]()}${bindings},${fields}${end}`)
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
