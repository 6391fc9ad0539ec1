import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { startTestServer } from '../helper.js'
import { formatResults, runHurlSuite } from '../hurl/runner.js'
import { REALWORLD_SUITE as SUITE, suiteMissing } from '../hurl/suite.js'

const REQUESTS = 154

const uid = () => randomBytes(6).toString('hex')

describe('the RealWorld conformance suite (13 files, 154 requests)', { skip: suiteMissing }, () => {
  it('passes every request', async (t) => {
    const server = await startTestServer(t)
    const suite = await runHurlSuite(SUITE, { host: server.url, uid: uid() })
    assert.equal(suite.results.length, REQUESTS)
    assert.equal(suite.passed, REQUESTS, formatResults(suite.results))
  })

  it('passes again on the same database, as its README says a run can be repeated', async (t) => {
    const server = await startTestServer(t)
    for (let run = 0; run < 2; run++) {
      const suite = await runHurlSuite(SUITE, { host: server.url, uid: uid() })
      assert.equal(suite.passed, REQUESTS, `run ${run + 1}\n${formatResults(suite.results)}`)
    }
  })
})
