import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { storable } from '../../src/db/params.js'
import { InvalidText } from '../../src/errors.js'
import { UNSTORABLE_TEXT } from './fresh-db.js'

describe('storable', () => {
  it('passes through what both engines store as sent', () => {
    const params = ['', 'plain', 'é 😀 \uFFFD \u{10FFFF}', 0, -1.5, 2n ** 63n - 1n, Buffer.from([0, 0xD8, 0]), null]
    assert.equal(storable(params), params)
  })

  for (const [what, text] of UNSTORABLE_TEXT) {
    it(`refuses a string with ${what}, wherever it is`, () => {
      for (const params of [[text], ['fine', 1, text], [text, null]]) {
        assert.throws(() => storable(params), (err: unknown) => {
          assert.ok(err instanceof InvalidText)
          assert.match(err.message, /U\+0000.*lone surrogate/)
          return true
        })
      }
    })
  }
})
