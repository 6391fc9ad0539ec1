import { strict as assert } from 'node:assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { assertSafeToServe, ConfigError, helpText, loadConfig, OPTIONS } from '../src/config.js'
import { tempDir } from './helper.js'

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const { config, positionals, help } = loadConfig([], {})
    assert.equal(help, false)
    assert.deepEqual(positionals, [])
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.port, 5000)
    assert.equal(config.database, './data/app.db')
    assert.equal(config.logFile, './data/app.log')
    assert.equal(config.logLevel, 'info')
    assert.equal(config.debug, false)
    assert.equal(config.workers, 1)
    assert.equal(config.adminUser, 'admin')
    assert.equal(config.adminPassword, null)
    assert.equal(config.redisUrl, null)
    assert.equal(config.demoData, true)
    assert.equal(config.jsonLimit, 1024 * 1024)
    assert.equal(config.bodyLimit, 10 * 1024 * 1024)
    assert.equal(config.multipartParts, 10)
    assert.ok(Object.isFrozen(config))
  })

  it('lets a flag beat the environment, and the environment beat the default', () => {
    assert.equal(loadConfig([], { PORT: '6000' }).config.port, 6000)
    assert.equal(loadConfig(['--port', '7000'], { PORT: '6000' }).config.port, 7000)
    assert.equal(loadConfig(['--port=8000'], { PORT: '6000' }).config.port, 8000)
  })

  it('reads booleans as flags, negations and variables', () => {
    assert.equal(loadConfig(['--debug'], {}).config.debug, true)
    assert.equal(loadConfig([], { DEBUG: '1' }).config.debug, true)
    assert.equal(loadConfig(['--no-demo-data'], {}).config.demoData, false)
    assert.equal(loadConfig(['--no-demo-data'], { DEMO_DATA: 'true' }).config.demoData, false)
  })

  it('reads sizes with units and turns the log file off with -', () => {
    const { config } = loadConfig(['--json-limit', '512kb', '--body-limit', '2mb', '--log-file', '-'], {})
    assert.equal(config.jsonLimit, 512 * 1024)
    assert.equal(config.bodyLimit, 2 * 1024 * 1024)
    assert.equal(config.logFile, null)
  })

  it('keeps commands and their arguments as positionals', () => {
    assert.deepEqual(loadConfig(['users', 'add', 'alice', '--port', '1'], {}).positionals, ['users', 'add', 'alice'])
    assert.equal(loadConfig(['--help'], {}).help, true)
  })

  it('rejects a bad value naming the option it came from', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--port', 'abc'], {}, /--port/],
      [['--port', '70000'], {}, /--port/],
      [[], { PORT: 'x' }, /PORT/],
      [['--log-level', 'loud'], {}, /--log-level/],
      [['--json-limit', '1 parsec'], {}, /--json-limit/],
      [['--workers', '0'], {}, /--workers/],
      [['--redis-url', 'not a url'], {}, /--redis-url/],
      [['--debug=maybe'], {}, /--debug/],
      [['--frobnicate'], {}, /--frobnicate/],
      [['--port'], {}, /--port/]
    ]
    for (const [argv, env, pattern] of cases) {
      assert.throws(() => loadConfig(argv, env), (err: unknown) => err instanceof ConfigError && pattern.test(err.message), argv.join(' '))
    }
  })

  it('reads the admin password from a file, without its final newline', (t) => {
    const file = join(tempDir(t), 'password')
    writeFileSync(file, 'a long and real password\n')
    assert.equal(loadConfig(['--admin-password-file', file], {}).config.adminPassword, 'a long and real password')
    assert.equal(loadConfig([], { ADMIN_PASSWORD: 'from the env' }).config.adminPassword, 'from the env')
    assert.throws(() => loadConfig(['--admin-password-file', join(file, 'missing')], {}), /--admin-password-file/)
  })
})

describe('assertSafeToServe', () => {
  const serveOn = (host: string, env: Record<string, string> = {}) => () => assertSafeToServe(loadConfig(['--host', host], env).config)

  it('lets the demo password guard loopback only', () => {
    assert.doesNotThrow(serveOn('127.0.0.1'))
    assert.doesNotThrow(serveOn('localhost'))
    assert.doesNotThrow(serveOn('::1'))
    assert.throws(serveOn('0.0.0.0'), /demo admin password/)
    assert.throws(serveOn('::'), /demo admin password/)
  })

  it('refuses several workers on a :memory: database, which they could not share', () => {
    assert.throws(() => assertSafeToServe(loadConfig(['--workers', '2', '--database', ':memory:'], {}).config), /--workers/)
    assert.doesNotThrow(() => assertSafeToServe(loadConfig(['--workers', '2'], {}).config))
  })

  it('refuses placeholder and short passwords off loopback', () => {
    assert.throws(serveOn('0.0.0.0', { ADMIN_PASSWORD: 'secret' }), ConfigError)
    assert.throws(serveOn('0.0.0.0', { ADMIN_PASSWORD: 'short' }), ConfigError)
    assert.doesNotThrow(serveOn('0.0.0.0', { ADMIN_PASSWORD: 'a long and real password' }))
  })
})

describe('helpText', () => {
  it('lists every option with its flag and variable', () => {
    const text = helpText()
    for (const option of OPTIONS) {
      assert.ok(text.includes(option.flag), option.flag)
      assert.ok(text.includes(option.env), option.env)
    }
  })
})
