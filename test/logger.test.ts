import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import type { FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { lazyChildLogger } from '../src/logger.js'

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
