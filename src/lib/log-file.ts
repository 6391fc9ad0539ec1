import { closeSync, writeSync } from 'node:fs'

const open = new Set<LogFile>()
let flushAtExit = false

/**
 * The log file as pino's destination. Lines are kept in memory and written
 * `flushBytes` at a time, and at least every `flushMs`, one write(2) each, and
 * what is pending is written at exit: a kill -9 loses at most that much.
 *
 * Not pino.destination: its buffering (sonic-boom) measures the byte length of
 * the whole pending buffer on every line, which made the request log the
 * largest cost of a small request. Synchronous: a 64 KiB write to the page
 * cache takes tens of microseconds, once per hundreds of lines, and lines
 * keep their order without a queue.
 *
 * A write that fails (a full disk) drops the pending lines and says so once on
 * stderr: losing log lines must not take the API down.
 */
export class LogFile {
  readonly #buffer: Buffer
  #used = 0
  #failure: string | undefined
  readonly #timer: NodeJS.Timeout

  constructor (readonly fd: number, flushBytes = 64 * 1024, flushMs = 1000) {
    this.#buffer = Buffer.allocUnsafe(flushBytes)
    this.#timer = setInterval(() => { this.flushSync() }, flushMs).unref()
    open.add(this)
    if (!flushAtExit) {
      flushAtExit = true
      process.on('exit', () => { for (const file of open) file.flushSync() })
    }
  }

  // Copied into the buffer at once: a line kept as a string (pino builds it from many
  // pieces) would live through collections until the flush, and cost more in GC than to copy.
  write (line: string): boolean {
    // a UTF-16 unit takes at most 3 bytes in UTF-8
    if (this.#used + line.length * 3 > this.#buffer.length) {
      this.flushSync()
      if (line.length * 3 > this.#buffer.length) {
        this.#writeAll(Buffer.from(line))
        return true
      }
    }
    this.#used += this.#buffer.write(line, this.#used)
    return true
  }

  flushSync (): void {
    if (this.#used === 0) return
    const pending = this.#buffer.subarray(0, this.#used)
    this.#used = 0
    this.#writeAll(pending)
  }

  #writeAll (bytes: Buffer): void {
    try {
      for (let written = 0; written < bytes.length;) written += writeSync(this.fd, bytes, written)
      this.#failure = undefined
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err)
      if (this.#failure !== code) process.stderr.write(`restful-api: writing the log file failed (${code}); its lines are dropped until a write succeeds\n`)
      this.#failure = code
    }
  }

  /** pino's logger.flush(). */
  flush (callback?: (err?: Error) => void): void {
    this.flushSync()
    callback?.()
  }

  end (): void {
    if (!open.delete(this)) return
    clearInterval(this.#timer)
    this.flushSync()
    closeSync(this.fd)
  }
}
