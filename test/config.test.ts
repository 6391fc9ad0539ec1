import { strict as assert } from 'node:assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { argsWith, assertSafeToServe, ConfigError, helpText, loadConfig, OPTIONS, type Config } from '../src/config.js'
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

  it('names both the flag and the variable of a bad value, the one it came from first', () => {
    assert.throws(() => loadConfig(['--port', 'abc'], {}), { message: 'invalid --port (variable PORT) "abc": must be a whole number' })
    assert.throws(() => loadConfig([], { PORT: 'abc' }), { message: 'invalid PORT (flag --port) "abc": must be a whole number' })
  })

  it('reports every bad option at once, one line each', () => {
    const argv = ['--port', 'abc', '--log-level', 'loud', '--frobnicate', '--no-debug=1', '--workers']
    const env = { JSON_LIMIT: '1 parsec', CORS_ORIGIN: 'https://a.example/path', PORT: 'also bad, but the flag wins' }
    const err = (() => {
      try {
        loadConfig(argv, env)
      } catch (err) {
        return err
      }
      return assert.fail('loadConfig accepted bad options')
    })()
    assert.ok(err instanceof ConfigError)
    const expected = [
      /^unknown option --frobnicate /,
      /^invalid --no-debug \(variable DEBUG\): takes no value$/,
      /^option --workers \(variable WORKERS\) needs a value$/,
      /^invalid --port \(variable PORT\) "abc": /,
      /^invalid --log-level \(variable LOG_LEVEL\) "loud": /,
      /^invalid CORS_ORIGIN \(flag --cors-origin\) /,
      /^invalid JSON_LIMIT \(flag --json-limit\) "1 parsec": /
    ]
    assert.equal(err.problems.length, expected.length, err.message)
    for (const pattern of expected) assert.ok(err.problems.some((line) => pattern.test(line)), `no problem matches ${pattern}:\n${err.message}`)
    assert.equal(err.message, err.problems.join('\n'))
    for (const line of err.problems) assert.doesNotMatch(line, /\n/)
  })

  it('never shows the admin password from the environment in an error', () => {
    assert.throws(() => loadConfig(['--port', 'x'], { ADMIN_PASSWORD: 'hunter2-but-longer' }), (err: unknown) =>
      err instanceof ConfigError && !err.message.includes('hunter2'))
  })

  it('reads the admin password from a file, without its final newline', (t) => {
    const file = join(tempDir(t), 'password')
    writeFileSync(file, 'a long and real password\n')
    assert.equal(loadConfig(['--admin-password-file', file], {}).config.adminPassword, 'a long and real password')
    assert.equal(loadConfig([], { ADMIN_PASSWORD: 'from the env' }).config.adminPassword, 'from the env')
    assert.throws(() => loadConfig(['--admin-password-file', join(file, 'missing')], {}), /--admin-password-file/)
  })
})

describe('argsWith', () => {
  it('adds a flag that beats an earlier one, before any --', () => {
    const argv = argsWith(['serve', '--port', '0'], 'port', '41234')
    assert.deepEqual(argv, ['serve', '--port', '0', '--port=41234'])
    assert.equal(loadConfig(argv, { PORT: '1' }).config.port, 41234)
    assert.deepEqual(argsWith(['--port=0', '--', 'serve'], 'port', '7'), ['--port=0', '--port=7', '--', 'serve'])
  })
})

describe('Config', () => {
  it('has one key for each declaration, and nothing else', () => {
    const { config } = loadConfig([], {})
    assert.deepEqual(Object.keys(config).sort(), OPTIONS.map((option) => option.key).sort())
    assert.equal(new Set(OPTIONS.map((option) => option.flag)).size, OPTIONS.length, 'two settings share a flag')
    assert.equal(new Set(OPTIONS.map((option) => option.env)).size, OPTIONS.length, 'two settings share a variable')
    // the type follows the declarations: unset by default means nullable
    const nullable: Array<Config['metricsPort'] | Config['adminPassword'] | Config['redisUrl'] | Config['publicUrl'] | Config['logFile']> =
      [config.metricsPort, config.adminPassword, config.redisUrl, config.publicUrl, null]
    assert.deepEqual(nullable, [null, null, null, null, null])
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

  it('reports every reason not to serve at once, naming flag and variable', () => {
    assert.throws(() => assertSafeToServe(loadConfig(['--host', '0.0.0.0', '--workers', '2', '--database', ':memory:'], {}).config), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.problems.length, 2, err.message)
      assert.match(err.problems[0] as string, /--workers \(variable WORKERS\).*--database \(variable DATABASE_URL\)/)
      assert.match(err.problems[1] as string, /demo admin password: set ADMIN_PASSWORD or --admin-password-file/)
      return true
    })
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
