import { strict as assert } from 'node:assert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config.js'
import { createDb } from '../../src/db/index.js'
import { tempDir } from '../helper.js'

describe('createDb', () => {
  it('opens SQLite for a path, :memory: and a sqlite: URL', async (t) => {
    const dir = tempDir(t)
    for (const [url, file] of [
      [join(dir, 'plain.db'), join(dir, 'plain.db')],
      [`sqlite:${join(dir, 'prefixed.db')}`, join(dir, 'prefixed.db')],
      [`sqlite://${join(dir, 'slashed.db')}`, join(dir, 'slashed.db')],
      [':memory:', undefined]
    ] as const) {
      const db = await createDb(url)
      t.after(() => db.close())
      assert.equal(db.dialect, 'sqlite', url)
      assert.deepEqual(await db.one('SELECT 1 AS one'), { one: 1 })
      if (file !== undefined) assert.equal(existsSync(file), true, `${url} opens ${file}`)
    }
  })

  it('picks PostgreSQL for a postgres:// or postgresql:// URL, connecting only when used', async (t) => {
    for (const url of ['postgres://nobody@127.0.0.1:1/none', 'POSTGRESQL://nobody@127.0.0.1:1/none']) {
      const db = await createDb(url)
      t.after(() => db.close())
      assert.equal(db.dialect, 'postgres')
      assert.deepEqual(db.poolStats(), { total: 0, idle: 0, waiting: 0 })
    }
  })

  it('refuses another scheme with a ConfigError naming it', async () => {
    await assert.rejects(createDb('mysql://localhost/app'), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.match(err.message, /invalid --database "mysql:\/\/localhost\/app"/)
      return true
    })
  })

  it('refuses an SQLite path it cannot open with a ConfigError', async (t) => {
    const dir = tempDir(t)
    await assert.rejects(createDb(dir), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.match(err.message, /invalid --database .*unable to open database file/)
      return true
    })
  })
})
