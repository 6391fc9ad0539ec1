import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { adminAuth, assertError, fieldsOf, startTestServer } from '../helper.js'

// src/routes/pagination.ts reads these for every list that pages: one suite for all of them
describe('pagination parameters', () => {
  const cursor = (text: string) => Buffer.from(text).toString('base64url')
  const badCursors = ['garbage', cursor('id:abc'), cursor('id:-1'), cursor('id:1 OR 1=1'), cursor('id:1\u0000'), '%00', cursor('x'.repeat(40))]
  for (const path of ['/users', '/messages']) {
    for (const after of badCursors) {
      it(`answers GET ${path}?after=${after} with a 400`, async (t) => {
        const server = await startTestServer(t)
        const res = await server.fetch(`${path}?after=${after}`, { headers: { authorization: adminAuth() } })
        await assertError(res, 400, 'INVALID_CURSOR')
      })
    }

    it(`answers GET ${path} with an over-long cursor with a 400 naming it`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch(`${path}?after=${'A'.repeat(4097)}`, { headers: { authorization: adminAuth() } })
      const body = await assertError(res, 400, 'VALIDATION_FAILED', true)
      assert.deepEqual(fieldsOf(body), ['querystring.after'])
    })

    for (const limit of ['0', '101', 'abc', '-1', '1.5', '1e2x', '99999999999999999999']) {
      it(`answers GET ${path}?limit=${limit} with a 400 naming limit`, async (t) => {
        const server = await startTestServer(t)
        const res = await server.fetch(`${path}?limit=${limit}`, { headers: { authorization: adminAuth() } })
        const body = await assertError(res, 400, 'VALIDATION_FAILED', true)
        assert.deepEqual(fieldsOf(body), ['querystring.limit'])
      })
    }
  }
})
