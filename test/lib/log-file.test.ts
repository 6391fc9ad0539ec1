import { strict as assert } from 'node:assert'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { LogFile } from '../../src/lib/log-file.js'
import { tempDir } from '../helper.js'

describe('LogFile', () => {
  it('keeps lines until a flush or enough of them, then writes them in order', (t) => {
    const path = join(tempDir(t), 'app.log')
    const file = new LogFile(openSync(path, 'a'), 100)
    t.after(() => { file.end() })
    file.write('{"n":1}\n')
    file.write('{"n":2}\n')
    assert.equal(readFileSync(path, 'utf8'), '', 'written before the buffer filled')
    file.flushSync()
    assert.equal(readFileSync(path, 'utf8'), '{"n":1}\n{"n":2}\n')
    const long = `{"text":"${'é'.repeat(60)}"}\n`
    file.write(long)
    file.write(long)
    assert.equal(readFileSync(path, 'utf8'), `{"n":1}\n{"n":2}\n${long}${long}`, 'not written once past flushBytes')
  })

  it('drops what it cannot write instead of throwing, and says so once', (t) => {
    const path = join(tempDir(t), 'app.log')
    const fd = openSync(path, 'a')
    const file = new LogFile(fd)
    t.mock.method(process.stderr, 'write', () => true)
    closeSync(fd)
    file.write('lost\n')
    assert.doesNotThrow(() => { file.flushSync() })
    const reports = () => (process.stderr.write as unknown as { mock: { callCount (): number } }).mock.callCount()
    assert.equal(reports(), 1)
    assert.doesNotThrow(() => { file.write('also lost\n'); file.flushSync() })
    assert.equal(reports(), 1, 'the same failure reported again')
  })
})
