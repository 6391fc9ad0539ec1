import { mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import pino, { type Logger } from 'pino'
import pretty from 'pino-pretty'
import { ConfigError, type Config } from './config.js'

/** Anything that could carry a credential, wherever it appears in a log object. */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'headers.authorization', 'authorization',
  'password', '*.password', 'token', '*.token', 'adminPassword', '*.adminPassword'
]

const LOG_BUFFER_BYTES = 4096
const LOG_FLUSH_MS = 1000

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
    // Lines are written 4 KiB at a time, and at least every second: a write per line (a trip
    // through libuv's thread pool) costs more than the rest of a small request. The buffer
    // is flushed at exit; a kill -9 loses at most the last second of lines.
    const file = pino.destination({ dest: fd, sync: false, minLength: LOG_BUFFER_BYTES })
    const flusher = setInterval(() => { file.flush() }, LOG_FLUSH_MS).unref()
    file.once('close', () => clearInterval(flusher))
    streams.push({ level, stream: file })
  }
  if (config.debug) {
    streams.push({ level, stream: pretty({ destination: 1, colorize: process.stdout.isTTY, sync: true, translateTime: 'SYS:HH:MM:ss.l' }) })
  }
  if (streams.length === 0) return pino({ level: 'silent' })
  // one stream is written to directly: multistream costs a dispatch on every line
  const destination = streams.length === 1 ? streams[0]!.stream : pino.multistream(streams)
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination)
}
