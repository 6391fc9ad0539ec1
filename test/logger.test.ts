import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import type { FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { lazyChildLogger, lineWriter } from '../src/logger.js'

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
  const FIELDS = { requestId: 'r-1', method: 'GET', url: '/hello?name=%22', status: 200, durationMs: 1.25, ip: '127.0.0.1' }
  const fieldsJson = JSON.stringify(FIELDS).slice(1, -1)
  // the time is the one field that differs between two lines
  const timeless = (line: string) => line.replace(/"time":\d+/, '"time":0')

  it('writes the line pino would, byte for byte, bindings and message included', () => {
    const lines: string[] = []
    const logger = pino({ level: 'info', redact: { paths: ['password'], censor: '[redacted]' } }, { write: (line: string) => { lines.push(line) } })
    lineWriter(logger, 'info', 'request')!(fieldsJson)
    logger.info(FIELDS, 'request')
    assert.equal(lines.length, 2)
    assert.ok(lines[0]!.endsWith('}\n'))
    assert.equal(timeless(lines[0]!), timeless(lines[1]!))
    assert.deepEqual(Object.keys(JSON.parse(lines[0]!) as object), ['level', 'time', 'pid', 'hostname', ...Object.keys(FIELDS), 'msg'])
  })

  it('writes nothing below the level, and to each stream of a multistream by its level', () => {
    const quiet = pino({ level: 'warn' }, { write: () => { assert.fail('written below the level') } })
    assert.equal(lineWriter(quiet, 'info', 'request'), undefined)
    const info: string[] = []
    const errors: string[] = []
    const logger = pino({ level: 'info' }, pino.multistream([
      { level: 'info', stream: { write: (line: string) => { info.push(line) } } },
      { level: 'error', stream: { write: (line: string) => { errors.push(line) } } }
    ]))
    lineWriter(logger, 'info', 'request')!(fieldsJson)
    lineWriter(logger, 'error', 'failed')!('"status":500')
    assert.deepEqual(info.map((line) => (JSON.parse(line) as { msg: string }).msg), ['request', 'failed'])
    assert.deepEqual(errors.map((line) => (JSON.parse(line) as { level: number }).level), [50])
  })
})
