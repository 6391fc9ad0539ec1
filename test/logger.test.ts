import { strict as assert } from 'node:assert'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { loadConfig } from '../src/config.js'
import { LogFile } from '../src/lib/log-file.js'
import { createLogger, FAST_PATH_SYMBOLS, fastPathProblem, lazyChildLogger, lineWriter, REDACTED_PATHS } from '../src/logger.js'

describe('request.log (lazyChildLogger)', () => {
  it('makes its child only when something logs, and the line carries the request id', (t) => {
    const lines: string[] = []
    const parent = pino({ level: 'info' }, { write: (line: string) => { lines.push(line) } }) as unknown as FastifyBaseLogger
    const child = t.mock.method(parent, 'child')
    const log = lazyChildLogger(parent, { requestId: 'req-1' }, {})
    assert.equal(child.mock.callCount(), 0, 'a child was made before anything logged')
    log.debug('below the level')
    log.error({ err: new Error('boom') }, 'request failed')
    log.warn('again')
    assert.equal(child.mock.callCount(), 1)
    assert.equal(lines.length, 2)
    const line = JSON.parse(lines[0]!) as Record<string, unknown>
    assert.equal(line.requestId, 'req-1')
    assert.equal(line.msg, 'request failed')
    assert.equal((line.err as { message: string }).message, 'boom')
    assert.equal(log.level, 'info')
  })
})

describe('lineWriter', () => {
  const FIELDS = { requestId: 'r-1', method: 'GET', url: '/hello?name=%22', status: 200, durationMs: 1.25, ip: '127.0.0.1', user: 'zoë "z" \\ \u2028' }
  const fieldsJson = JSON.stringify(FIELDS).slice(1, -1)
  // one fixed clock for both lines, so that they can be compared whole
  const NOW = 1_764_000_000_123

  /** A destination that keeps what it is given. */
  const capture = () => {
    const lines: string[] = []
    return { lines, stream: { write: (line: string) => { lines.push(line) } } }
  }

  /** The logger of the service with a log file, as Fastify uses it (a child with its serializers), and the file. */
  function serviceLogger (t: TestContext) {
    const dir = mkdtempSync(join(tmpdir(), 'restful-api-logger-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'app.log')
    const root = createLogger(loadConfig([], { LOG_FILE: file, LOG_LEVEL: 'info' }).config)
    const stream = (root as unknown as Record<symbol, LogFile>)[pino.symbols.streamSym]!
    assert.ok(stream instanceof LogFile, 'the log file is written by LogFile')
    t.after(() => { stream.end() })
    const logger = root.child({}, { serializers: { req: (req: unknown) => req, res: (res: unknown) => res } })
    return { logger, read: () => { stream.flushSync(); return readFileSync(file, 'utf8') } }
  }

  describe('pino\'s internals', () => {
    it('has every symbol the fast writer reads', () => {
      const symbols = pino.symbols as Record<string, unknown>
      for (const name of FAST_PATH_SYMBOLS) assert.equal(typeof symbols[name], 'symbol', `pino.symbols.${name}`)
      // multistream and transports find it by its global name
      assert.equal(pino.symbols.needsMetadataGsym, Symbol.for('pino.metadata'))
    })

    it('holds under each symbol a value of the type the fast writer expects', (t) => {
      const { logger } = serviceLogger(t)
      const internals = logger as unknown as Record<symbol, unknown>
      const { symbols } = pino
      const cache = internals[symbols.lsCacheSym] as Record<number, unknown>
      for (const [label, value] of Object.entries(logger.levels.values)) {
        assert.equal(cache[value], `{"level":${value}`, `the level cache for ${label}`)
      }
      t.mock.timers.enable({ apis: ['Date'], now: NOW })
      assert.equal((internals[symbols.timeSym] as () => string).call(logger), `,"time":${NOW}`)
      assert.equal(internals[symbols.chindingsSym], `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`)
      assert.equal(internals[symbols.messageKeySym], 'msg')
      assert.equal(internals[symbols.endSym], '}\n')
      assert.ok(internals[symbols.streamSym] instanceof LogFile)
      assert.equal(typeof internals[symbols.asJsonSym], 'function')
      assert.equal(internals[symbols.mixinSym], undefined)
      assert.deepEqual(Object.entries(internals[symbols.hooksSym] as object).filter(([, hook]) => hook !== undefined), [])
      const multi = pino({ level: 'info' }, pino.multistream([{ level: 'info', stream: capture().stream }]))
      assert.equal((multi as unknown as Record<symbol, Record<symbol, unknown>>)[symbols.streamSym]![symbols.needsMetadataGsym], true)
    })

    it('takes the fast path for the service\'s loggers: a log file, a multistream (--debug)', (t) => {
      assert.equal(fastPathProblem(serviceLogger(t).logger, 'info', 'request'), undefined)
      const multi = pino({ level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
        pino.multistream([{ level: 'debug', stream: capture().stream }, { level: 'debug', stream: capture().stream }]))
      assert.equal(fastPathProblem(multi, 'info', 'request'), undefined)
      assert.equal(fastPathProblem(multi.child({}, { serializers: {} }), 'error', 'failed'), undefined)
    })
  })

  it('writes the line pino would, byte for byte, to the service\'s log file', (t) => {
    const { logger, read } = serviceLogger(t)
    assert.equal(fastPathProblem(logger, 'info', 'request'), undefined)
    t.mock.timers.enable({ apis: ['Date'], now: NOW })
    lineWriter(logger, 'info', 'request')!(fieldsJson)
    logger.info(FIELDS, 'request')
    const lines = read().split(/(?<=\n)/)
    assert.equal(lines.length, 2)
    assert.equal(lines[0], lines[1])
    assert.ok(lines[0]!.startsWith(`{"level":30,"time":${NOW},"pid":${process.pid},`), lines[0])
    assert.deepEqual(JSON.parse(lines[0]!), { level: 30, time: NOW, pid: process.pid, hostname: hostname(), ...FIELDS, msg: 'request' })
  })

  it('writes the line pino would, byte for byte, through a multistream, to each stream by its level', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: NOW })
    const info = capture()
    const errors = capture()
    const logger = pino({ level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, pino.multistream([
      { level: 'info', stream: info.stream },
      { level: 'error', stream: errors.stream }
    ])).child({ component: 'test' })
    assert.equal(fastPathProblem(logger, 'info', 'request'), undefined)
    lineWriter(logger, 'info', 'request')!(fieldsJson)
    logger.info(FIELDS, 'request')
    lineWriter(logger, 'error', 'failed')!('"status":500')
    logger.error({ status: 500 }, 'failed')
    assert.equal(info.lines.length, 4)
    assert.equal(info.lines[0], info.lines[1])
    assert.equal(info.lines[2], info.lines[3])
    assert.deepEqual(errors.lines, info.lines.slice(2))
    assert.equal(errors.lines[0], `{"level":50,"time":${NOW},"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"component":"test","status":500,"msg":"failed"}\n`)
  })

  it('writes nothing below the level', () => {
    const quiet = pino({ level: 'warn' }, { write: () => { assert.fail('written below the level') } })
    assert.equal(lineWriter(quiet, 'info', 'request'), undefined)
  })

  describe('when pino\'s internals are not what it expects', () => {
    /** Writes FIELDS through lineWriter and through pino; returns the lines. */
    function bothWays (t: TestContext, logger: pino.Logger, out: string[]): string[] {
      t.mock.timers.enable({ apis: ['Date'], now: NOW })
      const write = lineWriter(logger, 'info', 'request')!
      const warnings = out.splice(0)
      write(fieldsJson)
      logger.info(FIELDS, 'request')
      assert.equal(out.length, 2)
      assert.equal(out[0], out[1])
      return warnings
    }
    const warningOf = (line: string) => JSON.parse(line) as Record<string, unknown>

    it('takes pino\'s generic path when a symbol is gone (renamed in a pino release), and says so once', (t) => {
      const { symbols } = pino as unknown as { symbols: Record<string, symbol | undefined> }
      const chindingsSym = symbols.chindingsSym
      symbols.chindingsSym = undefined
      t.after(() => { symbols.chindingsSym = chindingsSym })
      const { lines, stream } = capture()
      const logger = pino({ level: 'info' }, stream)
      assert.equal(fastPathProblem(logger, 'info', 'request'), 'pino.symbols.chindingsSym is not a symbol')
      const warnings = bothWays(t, logger, lines)
      assert.equal(warnings.length, 1)
      assert.equal(warningOf(warnings[0]!).level, 40)
      assert.equal(warningOf(warnings[0]!).problem, 'pino.symbols.chindingsSym is not a symbol')
    })

    it('takes pino\'s generic path when pino builds its lines otherwise', (t) => {
      const { lines, stream } = capture()
      const logger = pino({ level: 'info' }, stream)
      const internals = logger as unknown as Record<symbol, (...args: unknown[]) => string>
      const asJson = internals[pino.symbols.asJsonSym]!
      // a new layout: a schema version first
      internals[pino.symbols.asJsonSym] = function (this: unknown, ...args: unknown[]) { return asJson.apply(this, args).replace(/^\{/, '{"v":2,') }
      assert.equal(fastPathProblem(logger, 'info', 'request'), 'the line differs from the one pino builds (asJsonSym)')
      bothWays(t, logger, lines)
      assert.ok(lines[0]!.startsWith('{"v":2,"level":30,'), lines[0])
    })

    it('takes pino\'s generic path when a value has another type', (t) => {
      const { lines, stream } = capture()
      const logger = pino({ level: 'info' }, stream)
      const internals = logger as unknown as Record<symbol, unknown>
      internals[pino.symbols.lsCacheSym] = new Map(Object.entries(internals[pino.symbols.lsCacheSym] as object))
      assert.equal(fastPathProblem(logger, 'info', 'request'), 'the level cache (lsCacheSym) holds no string for the level')
      bothWays(t, logger, lines)
    })

    it('takes pino\'s generic path for options that change the line outside of asJson', (t) => {
      const cases: Array<[string, pino.LoggerOptions]> = [
        ['a mixin is set', { mixin: () => ({ mixedIn: true }) }],
        ['a msgPrefix is set', { msgPrefix: '[api] ' }],
        ['a logMethod or streamWrite hook is set', { hooks: { streamWrite: (line: string) => line.replace('request', 'REQUEST') } }],
        ['the line differs from the one pino builds (asJsonSym)', { nestedKey: 'payload' }]
      ]
      for (const [problem, options] of cases) {
        const { lines, stream } = capture()
        const logger = pino({ level: 'info', ...options }, stream)
        assert.equal(fastPathProblem(logger, 'info', 'request'), problem)
        bothWays(t, logger, lines)
        t.mock.timers.reset()
      }
    })

    it('still redacts on the generic path, and the warning names no field', () => {
      const { lines, stream } = capture()
      const logger = pino({ level: 'info', mixin: () => ({}), redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream)
      const write = lineWriter(logger, 'info', 'request')!
      write('"user":"alice","token":"s3cr3t-t0ken"')
      assert.equal(lines.length, 2)
      assert.deepEqual(Object.keys(warningOf(lines[0]!)), ['level', 'time', 'pid', 'hostname', 'problem', 'msg'])
      assert.doesNotMatch(lines.join(''), /s3cr3t/)
      assert.equal(warningOf(lines[1]!).token, '[redacted]')
    })
  })
})
