import { strict as assert } from 'node:assert'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import { startFixtureServer, type FixtureServer } from './fixture-server.js'
import {
  checkAssertLine, formatResults, HurlParseError, parseHurl, parseJson, runHurlFile, runHurlSuite, type Entry
} from './runner.js'
import { REALWORLD_SUITE as SUITE, suiteMissing } from './suite.js'

const suiteFiles = () => readdirSync(SUITE).filter((n) => n.endsWith('.hurl')).sort()
const read = (name: string) => readFileSync(join(SUITE, name), 'utf8')
const parse = (name: string): Entry[] => parseHurl(read(name), name)

function tempDir (t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'hurl-runner-test-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('parseHurl on the RealWorld suite (the 13 files as they are)', { skip: suiteMissing }, () => {
  it('reads 13 files, 154 entries: in each file as many as its request lines and its HTTP lines', () => {
    const files = suiteFiles()
    assert.equal(files.length, 13)
    let total = 0
    for (const name of files) {
      const text = read(name)
      const requestLines = text.split('\n').filter((l) => /^(GET|POST|PUT|PATCH|DELETE) /.test(l)).length
      const statusLines = text.split('\n').filter((l) => l.startsWith('HTTP ')).length
      const entries = parse(name)
      assert.equal(entries.length, requestLines, name)
      assert.equal(entries.length, statusLines, name)
      assert.deepEqual(entries.map((e) => e.index), entries.map((_, k) => k + 1), name)
      total += entries.length
    }
    assert.equal(total, 154)
  })

  it('finds the 384 assertions of the README, every capture and every status', () => {
    let asserts = 0
    let captures = 0
    for (const name of suiteFiles()) {
      const lines = read(name).split('\n')
      const entries = parse(name)
      asserts += entries.reduce((n, e) => n + e.response.asserts.length, 0)
      captures += entries.reduce((n, e) => n + e.response.captures.length, 0)
      const statuses = lines.filter((l) => l.startsWith('HTTP ')).map((l) => Number(l.slice(5)))
      assert.deepEqual(entries.map((e) => e.response.status), statuses, name)
      // each capture and assert keeps its line number
      for (const e of entries) {
        for (const a of e.response.asserts) assert.equal(lines[a.line - 1], a.text, `${name}:${a.line}`)
        for (const c of e.response.captures) assert.equal(lines[c.line - 1], c.text, `${name}:${c.line}`)
      }
    }
    assert.equal(asserts, 384)
    const captureLines = suiteFiles().flatMap((n) => read(n).split('\n')).filter((l) => /^\w+: jsonpath "/.test(l)).length
    assert.equal(captures, captureLines)
    assert.equal(captures, 34)
  })

  it('keeps what the entries say: method, URL, headers, JSON body, sections in either order, typed values', () => {
    const [register, login, current] = parse('auth.hurl')
    assert.ok(register && login && current)
    assert.equal(register.method, 'POST')
    assert.deepEqual(register.url.parts, [{ variable: 'host' }, '/api/users'])
    assert.equal(register.response.status, 201)
    // auth.hurl writes [Asserts] before [Captures]: both are read
    assert.equal(register.response.asserts.length, 6)
    assert.deepEqual(register.response.captures.map((c) => c.name), ['reg_token'])
    assert.ok(register.body?.parts.some((p) => typeof p !== 'string' && p.variable === 'uid'))
    assert.deepEqual(current.headers.map((h) => [h.name, h.value.parts]), [['Authorization', ['Token ', { variable: 'token' }]]])
    assert.equal(current.body, null)
    assert.deepEqual(register.response.asserts[2]?.predicate, { not: false, func: '==', value: { kind: 'null' } })
    assert.deepEqual(register.response.asserts[5]?.predicate, { not: true, func: 'isEmpty' })

    const listComments = parse('comments.hurl')[3]
    assert.deepEqual(listComments?.response.asserts[2]?.predicate, { not: false, func: '==', value: { kind: 'variable', name: 'comment_id' } })
    assert.deepEqual(listComments?.response.asserts[1]?.filters, ['count'])
    assert.deepEqual(listComments?.response.asserts[1]?.predicate, { not: false, func: '==', value: { kind: 'integer', value: 1n } })

    const dup = parse('errors_articles.hurl').find((e) => e.response.asserts.some((a) => a.predicate.func === '!='))
    assert.deepEqual(dup?.response.asserts[0]?.predicate, { not: false, func: '!=', value: { kind: 'variable', name: 'slug1' } })
  })
})

describe('parseHurl: anything it does not implement is an error naming the file and the line', () => {
  const entry = (asserts: string) => `GET http://x/api\nHTTP 200\n[Asserts]\n${asserts}\n`
  const cases: Array<[what: string, text: string, line: number, fragment: string]> = [
    ['an unknown predicate', entry('jsonpath "$.id" isUuid'), 4, 'unsupported predicate "isUuid"'],
    ['an unknown query', entry('xpath "//h1" exists'), 4, 'unsupported query "xpath"'],
    ['a filter other than count', entry('jsonpath "$.a" nth 0 == 1'), 4, 'unsupported predicate "nth"'],
    ['a descendant JSONPath', entry('jsonpath "$..id" exists'), 4, 'descendant segment'],
    ['a JSONPath filter', entry('jsonpath "$.a[?(@.b == 1)]" exists'), 4, 'filters, slices'],
    ['a JSONPath slice', entry('jsonpath "$.a[0:2]" count == 2'), 4, 'filters, slices'],
    ['an unknown string escape', entry('jsonpath "$.a" == "\\q"'), 4, 'unsupported escape \\q'],
    ['an unsupported predicate value', entry('jsonpath "$.a" == hex,00;'), 4, 'unsupported predicate value'],
    ['matches with a number', entry('jsonpath "$.a" matches 1'), 4, 'matches takes a string or a /regex/'],
    ['an invalid regex', entry('jsonpath "$.a" matches "("'), 4, 'invalid regex'],
    ['a template expression', entry('jsonpath "$.a" == "{{ newUuid() }}"'), 4, 'unsupported template expression'],
    ['text after the predicate', entry('jsonpath "$.a" == 1 2'), 4, 'unexpected "2"'],
    ['an unknown response section', 'GET http://x/api\nHTTP 200\n[Cookies]\nid: 1\n', 3, 'unsupported response section [Cookies]'],
    ['a request section', 'POST http://x/api\n[FormParams]\na: 1\nHTTP 200\n', 2, 'unsupported request section [FormParams]'],
    ['a response body', 'GET http://x/api\nHTTP 200\n{"a": 1}\n', 3, 'unsupported line in a response'],
    ['a second [Asserts]', `${entry('status == 200')}[Asserts]\nstatus == 200\n`, 5, 'a second [Asserts]'],
    ['HTTP/2', 'GET http://x/api\nHTTP/2 200\n', 2, 'unsupported version HTTP/2'],
    ['an entry without a response', 'GET http://x/api\n\nGET http://x/other\nHTTP 200\n', 3, 'before the "HTTP <status>" line'],
    ['an unknown method', 'FETCH http://x/api\nHTTP 200\n', 1, 'unsupported method FETCH'],
    ['a JSON body error', 'POST http://x/api\n{\n  "a": 1\n  "b": 2\n}\nHTTP 200\n', 4, 'JSON body: expected "," or "}"'],
    ['a template outside a JSON string', 'POST http://x/api\n{\n  "id": {{id}}\n}\nHTTP 200\n', 3, 'a template outside a string'],
    ['a line break inside a JSON string', 'POST http://x/api\n{"a": "x\ny"}\nHTTP 200\n', 2, 'control character'],
    ['a multiline string body', 'POST http://x/api\n```\nhello\n```\nHTTP 200\n', 2, 'unsupported line in a request'],
    ['a capture with a filter it cannot end', 'GET http://x/api\nHTTP 200\n[Captures]\nid: jsonpath "$.id" toInt\n', 4, 'unexpected "toInt"'],
    ['a capture that is not "name: query"', 'GET http://x/api\nHTTP 200\n[Captures]\njsonpath "$.id"\n', 4, 'expected a capture'],
    ['a stray line between entries', 'GET http://x/api\nHTTP 200\n[Asserts]\nstatus == 200\n\n# next\nhello world\n', 7, 'unsupported query "hello"']
  ]
  for (const [what, text, line, fragment] of cases) {
    it(`rejects ${what}`, () => {
      assert.throws(() => parseHurl(text, 'bad.hurl'), (err: unknown) => {
        assert.ok(err instanceof HurlParseError, String(err))
        assert.equal(err.file, 'bad.hurl')
        assert.equal(err.line, line, err.message)
        assert.ok(err.message.startsWith(`bad.hurl:${line}: `), err.message)
        assert.ok(err.message.includes(fragment), `"${fragment}" not in: ${err.message}`)
        return true
      })
    })
  }

  it('accepts the same constructs when they are well formed (the cases above fail for the stated reason)', () => {
    const text = 'GET http://x/api # a comment\n\n# between\nAccept: */*\nHTTP/1.1 *\nX-Id: 1\n[Captures]\nid: jsonpath "$.id" count\n' +
      '[Asserts]\njsonpath "$.a" matches /^\\d+\\/x$/ # trailing comment\nheader "X-Id" not startsWith "{{p}}"\n\n' +
      'PUT http://x/api\n[\n  {"a": "\\u00e9 {{v}} \\"q\\"", "b": [1, -2.5e3, true, null]}\n] # comment after the body\nHTTP 204\n'
    const entries = parseHurl(text, 'good.hurl')
    assert.equal(entries.length, 2)
    assert.equal(entries[0]?.response.status, null)
    assert.equal(entries[0]?.response.headers.length, 1)
    assert.equal(entries[0]?.response.asserts[0]?.predicate.func, 'matches')
    assert.deepEqual(entries[1]?.body?.parts, ['[\n  {"a": "\\u00e9 ', { variable: 'v' }, ' \\"q\\"", "b": [1, -2.5e3, true, null]}\n]'])
  })
})

describe('parseJson keeps number kinds as serde_json does', () => {
  it('integers are bigints, floats numbers, big integers exact', () => {
    const v = parseJson('{"i": 1, "f": 1.0, "e": 1e2, "big": 9007199254740993, "huge": 184467440737095516160, "k": 1, "k": 2}')
    assert.ok(v instanceof Map)
    assert.equal(v.get('i'), 1n)
    assert.equal(v.get('f'), 1)
    assert.equal(v.get('e'), 100)
    assert.equal(v.get('big'), 9007199254740993n)
    assert.equal(typeof v.get('huge'), 'number')
    assert.equal(v.get('k'), 2n)
    for (const bad of ['', '{', '{"a":1,}', '[1 2]', '01', '"\\x"', 'nul', '1 2']) assert.throws(() => parseJson(bad), SyntaxError, bad)
  })
})

describe('asserts: queries, predicates and not, as Hurl evaluates them', () => {
  const body = '{"n": 1, "f": 1.0, "s": "abc", "empty": "", "nil": null, "t": true, "list": [1, 2.5, "3"], "none": [], ' +
    '"obj": {"a": 1}, "big": 9007199254740993, "date": "2024-01-02T03:04:05.000Z", ' +
    '"items": [{"id": 1, "tags": ["x"]}, {"id": 2, "tags": []}], "odd key": "v"}'
  const response = { status: 201, headers: { 'Content-Type': 'application/json', 'X-Count': '7' }, body }
  // [assert line, passes?, a fragment of the failure message]
  const cases: Array<[string, boolean, string?]> = [
    // == and types: an integer equals the same float, but a string is not a number
    ['jsonpath "$.n" == 1', true],
    ['jsonpath "$.n" == 1.0', true],
    ['jsonpath "$.f" == 1', true],
    ['jsonpath "$.n" == 2', false, 'expected int <2>, actual int <1>'],
    ['jsonpath "$.n" == "1"', false, 'expected string <1>, actual int <1>'],
    ['jsonpath "$.s" == "abc"', true],
    ['jsonpath "$.s" == "ab"', false, 'expected string <ab>, actual string <abc>'],
    ['jsonpath "$.nil" == null', true],
    ['jsonpath "$.s" == null', false, 'expected null, actual string <abc>'],
    ['jsonpath "$.t" == true', true],
    ['jsonpath "$.t" == "true"', false],
    ['jsonpath "$.big" == 9007199254740993', true],
    ['jsonpath "$.big" == 9007199254740992', false],
    ['jsonpath "$.missing" == null', false, 'actual none'],
    ['jsonpath "$.obj" == 1', false],
    // !=
    ['jsonpath "$.s" != "x"', true],
    ['jsonpath "$.s" != "abc"', false, 'expected != string <abc>'],
    ['jsonpath "$.n" != "1"', true],
    ['jsonpath "$.missing" != "x"', false, 'actual none'],
    // order: numbers or strings only, else a type mismatch that not does not rescue
    ['jsonpath "$.n" >= 1', true],
    ['jsonpath "$.n" > 1', false, 'expected > int <1>'],
    ['jsonpath "$.f" < 1.5', true],
    ['jsonpath "$.n" <= 0', false],
    ['jsonpath "$.s" > "abb"', true],
    ['jsonpath "$.s" >= 1', false, '(type mismatch)'],
    ['jsonpath "$.s" not >= 1', false, '(type mismatch)'],
    // count needs a list
    ['jsonpath "$.list" count == 3', true],
    ['jsonpath "$.none" count == 0', true],
    ['jsonpath "$.list" count >= 4', false, 'expected >= int <4>, actual int <3>'],
    ['jsonpath "$.missing" count == 0', false, 'count: the query found nothing'],
    ['jsonpath "$.s" count == 3', false, 'is not a list'],
    // a singular path gives the value; a wildcard gives a list
    ['jsonpath "$.items[0].id" == 1', true],
    ['jsonpath "$.items[-1].id" == 2', true],
    ['jsonpath "$.items[*].id" count == 2', true],
    ['jsonpath "$.items[*].id" == 1', false, 'expected int <1>, actual [int <1>, int <2>]'],
    ['jsonpath "$.items[*].nope" count == 0', true],
    ['jsonpath "$.items[*].tags[0]" contains "x"', true],
    ['jsonpath "$.obj.*" count == 1', true],
    ["jsonpath \"$['odd key']\" == \"v\"", true],
    ['jsonpath "$.items[2]" exists', false, 'expected something, actual none'],
    // exists: a missing path fails, null and [] exist
    ['jsonpath "$.missing" exists', false, 'expected something, actual none'],
    ['jsonpath "$.missing" not exists', true],
    ['jsonpath "$.nil" exists', true],
    ['jsonpath "$.none" exists', true],
    ['jsonpath "$.s" not exists', false, 'expected not something, actual string <abc>'],
    // type predicates: 1.0 is a float, not an integer
    ['jsonpath "$.n" isInteger', true],
    ['jsonpath "$.f" isInteger', false, 'expected integer, actual float <1.0>'],
    ['jsonpath "$.f" isFloat', true],
    ['jsonpath "$.n" isFloat', false],
    ['jsonpath "$.n" isNumber', true],
    ['jsonpath "$.s" isNumber', false],
    ['jsonpath "$.s" isString', true],
    ['jsonpath "$.n" isString', false, 'expected string, actual int <1>'],
    ['jsonpath "$.n" not isString', true],
    ['jsonpath "$.t" isBoolean', true],
    ['jsonpath "$.nil" isBoolean', false],
    ['jsonpath "$.list" isList', true],
    ['jsonpath "$.obj" isList', false],
    ['jsonpath "$.obj" isCollection', true],
    ['jsonpath "$.missing" isString', false, 'actual none'],
    // isEmpty on strings and collections; on anything else a type mismatch, negated or not
    ['jsonpath "$.empty" isEmpty', true],
    ['jsonpath "$.none" isEmpty', true],
    ['jsonpath "$.s" isEmpty', false, 'expected empty, actual string <abc>'],
    ['jsonpath "$.s" not isEmpty', true],
    ['jsonpath "$.empty" not isEmpty', false, 'expected not empty, actual string <>'],
    ['jsonpath "$.n" isEmpty', false, '(type mismatch)'],
    ['jsonpath "$.n" not isEmpty', false, '(type mismatch)'],
    ['jsonpath "$.nil" not isEmpty', false, '(type mismatch)'],
    // no value: every predicate is false, so every negated one holds (as in Hurl)
    ['jsonpath "$.missing" not isEmpty', true],
    ['jsonpath "$.missing" not == 1', true],
    // contains: on strings, and on lists by equality
    ['jsonpath "$.s" contains "bc"', true],
    ['jsonpath "$.s" contains "x"', false, 'expected contains string <x>'],
    ['jsonpath "$.list" contains 1', true],
    ['jsonpath "$.list" contains 2.5', true],
    ['jsonpath "$.list" contains "3"', true],
    ['jsonpath "$.list" contains 3', false],
    ['jsonpath "$.list" contains "1"', false],
    ['jsonpath "$.list" not contains "x"', true],
    ['jsonpath "$.n" contains "1"', false, '(type mismatch)'],
    // startsWith, endsWith, matches (string patterns and /regex/)
    ['jsonpath "$.s" startsWith "ab"', true],
    ['jsonpath "$.s" startsWith "b"', false],
    ['jsonpath "$.s" endsWith "bc"', true],
    ['jsonpath "$.n" startsWith "1"', false, '(type mismatch)'],
    ['jsonpath "$.date" matches "^\\\\d{4}-\\\\d{2}-\\\\d{2}T\\\\d{2}:\\\\d{2}:\\\\d{2}"', true],
    ['jsonpath "$.s" matches "^\\\\d{4}"', false, 'expected matches regex <^\\d{4}>, actual string <abc>'],
    ['jsonpath "$.date" matches /^\\d{4}-\\d{2}/', true],
    ['jsonpath "$.s" not matches /b/', false, 'expected not matches regex <b>'],
    ['jsonpath "$.n" matches "1"', false, '(type mismatch)'],
    // other queries: status, headers (names case-insensitive), body
    ['status == 201', true],
    ['status == 200', false, 'expected int <200>, actual int <201>'],
    ['status >= 200', true],
    ['header "content-type" == "application/json"', true],
    ['header "X-COUNT" == "7"', true],
    ['header "X-Count" == 7', false, 'expected int <7>, actual string <7>'],
    ['header "X-Missing" exists', false, 'actual none'],
    ['header "X-Missing" not exists', true],
    ['body contains "\\"s\\": \\"abc\\""', true],
    ['body startsWith "{"', true],
    // variables: typed when bare, rendered when quoted; an undefined one fails the assert
    ['jsonpath "$.n" == {{one}}', true],
    ['jsonpath "$.n" == {{oneText}}', false, 'expected string <1>, actual int <1>'],
    ['jsonpath "$.n" == "{{one}}"', false, 'expected string <1>'],
    ['jsonpath "$.s" == "a{{bc}}"', true],
    ['jsonpath "$.s" == "{{nope}}"', false, 'undefined variable "nope"'],
    ['jsonpath "$.s" == {{nope}}', false, 'undefined variable "nope"']
  ]
  const vars = { one: 1n, oneText: '1', bc: 'bc' }
  for (const [line, passes, fragment] of cases) {
    it(`${line} ${passes ? 'holds' : 'fails'}`, () => {
      const failure = checkAssertLine(line, response, vars)
      if (passes) {
        assert.equal(failure, null)
      } else {
        assert.ok(failure !== null, 'the assert should fail')
        assert.ok(failure.includes(line), failure)
        if (fragment !== undefined) assert.ok(failure.includes(fragment), `"${fragment}" not in: ${failure}`)
      }
    })
  }

  it('a jsonpath on a body that is not JSON fails the assert', () => {
    const failure = checkAssertLine('jsonpath "$.a" not exists', { body: 'not JSON' })
    assert.ok(failure?.includes('not valid JSON'), String(failure))
  })
})

describe('running .hurl files against a local server', () => {
  let server: FixtureServer
  before(async () => { server = await startFixtureServer() })
  after(() => server.close())

  const FILE = `# Register
POST {{host}}/api/users
{
  "user": {
    "username": "u_{{uid}}",
    "email": "u_{{uid}}@test.com"
  }
}
HTTP 201
[Asserts]
jsonpath "$.user.username" == "u_{{uid}}"
jsonpath "$.user.bio" == null
[Captures]
token: jsonpath "$.user.token"

# Uses the capture in a header and in an assert
GET {{host}}/api/user
Authorization: Token {{token}}
HTTP 200
[Asserts]
jsonpath "$.user.username" == "u_{{uid}}"
jsonpath "$.user.token" == {{token}}

# Fails: two of its three asserts are wrong
GET {{host}}/api/user
Authorization: Token {{token}}
HTTP 200
[Asserts]
jsonpath "$.user.username" == "someone else"
jsonpath "$.user.email" contains "{{uid}}"
jsonpath "$.user.bio" isString

# Not run: the file stopped at the entry before
GET {{host}}/api/user
HTTP 401
`

  it('runs entries in order with captures and variables; a failing entry stops its file', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'flow.hurl'), FILE)
    const sent = server.requests.length
    // a quote and a backslash in uid: the JSON body must escape them
    const uid = 'a"b\\c'
    const results = await runHurlFile(join(dir, 'flow.hurl'), { host: server.host, uid })

    assert.deepEqual(results.map((r) => [r.index, r.method, r.passed, r.ran, r.status]), [
      [1, 'POST', true, true, 201],
      [2, 'GET', true, true, 200],
      [3, 'GET', false, true, 200],
      [4, 'GET', false, false, null]
    ])
    assert.equal(results[0]?.url, `${server.host}/api/users`)
    assert.deepEqual(results[0]?.failures, [])
    const failures = results[2]?.failures ?? []
    assert.equal(failures.length, 2, failures.join('\n'))
    assert.equal(failures[0], `line 29: jsonpath "$.user.username" == "someone else": expected string <someone else>, actual string <u_${uid}>`)
    assert.equal(failures[1], 'line 31: jsonpath "$.user.bio" isString: expected string, actual null')
    assert.match(results[3]?.failures[0] ?? '', /^not run: entry #3 \(line 25\) of flow\.hurl failed/)

    // what went over the wire: 3 requests, the 4th never sent
    const requests = server.requests.slice(sent)
    assert.equal(requests.length, 3)
    assert.equal(requests[0]?.headers['content-type'], 'application/json')
    assert.deepEqual(JSON.parse(requests[0]?.body ?? ''), { user: { username: `u_${uid}`, email: `u_${uid}@test.com` } })
    assert.equal(requests[1]?.headers.authorization, `Token tok-u_${uid}`)
    assert.equal(requests[1]?.body, '')

    const report = formatResults(results)
    assert.match(report, /^PASS flow\.hurl #1 \(line 2\) POST http:\/\/127\.0\.0\.1:\d+\/api\/users -> 201$/m)
    assert.match(report, /^FAIL flow\.hurl #3 \(line 25\) GET .* -> 200$/m)
    assert.match(report, /^NOT RUN \(failed\) flow\.hurl #4/m)
    assert.match(report, /4 requests: 2 passed, 2 failed \(1 of them not run/)
  })

  it('a wrong status ends the entry before its captures and asserts, and says what came back', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'status.hurl'), `GET {{host}}/api/user
HTTP 200
[Captures]
token: jsonpath "$.user.token"
[Asserts]
jsonpath "$.user" exists
`)
    const [result] = await runHurlFile(join(dir, 'status.hurl'), { host: server.host })
    assert.equal(result?.passed, false)
    assert.equal(result?.status, 401)
    assert.deepEqual(result?.failures, ['line 2: HTTP status: expected 200, actual 401; body: "{\\"errors\\":{\\"token\\":[\\"is missing\\"]}}"'])
  })

  it('a capture that finds nothing, an undefined variable and a refused connection fail their entry', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'capture.hurl'), 'GET {{host}}/api/typed\nHTTP 200\n[Captures]\nid: jsonpath "$.nope"\n')
    writeFileSync(join(dir, 'variable.hurl'), 'GET {{host}}/api/{{nope}}\nHTTP 200\n')
    writeFileSync(join(dir, 'refused.hurl'), 'GET http://127.0.0.1:1/api\nHTTP 200\n')
    const sent = server.requests.length
    const [capture] = await runHurlFile(join(dir, 'capture.hurl'), { host: server.host })
    assert.deepEqual(capture?.failures, ['line 4: capture id: jsonpath "$.nope": the query found nothing'])
    const [variable] = await runHurlFile(join(dir, 'variable.hurl'), { host: server.host })
    assert.deepEqual(variable?.failures, ['line 1: undefined variable "nope"'])
    assert.equal(variable?.url, '{{host}}/api/{{nope}}')
    assert.equal(server.requests.length, sent + 1, 'no request sent for an undefined variable')
    const [refused] = await runHurlFile(join(dir, 'refused.hurl'), {})
    assert.equal(refused?.passed, false)
    assert.match(refused?.failures[0] ?? '', /^line 1: request failed: /)
  })

  it('runHurlSuite runs every file in name order, goes on after a failing file and counts requests', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'a_fails.hurl'), 'GET {{host}}/api/nowhere\nHTTP 200\n\nGET {{host}}/api/typed\nHTTP 200\n')
    writeFileSync(join(dir, 'b_passes.hurl'), `GET {{host}}/api/typed
HTTP 200
[Asserts]
status == 200
header "x-fixture" == "Yes"
header "Set-Cookie" count == 2
header "set-cookie" contains "b=2"
jsonpath "$.int" isInteger
jsonpath "$.float" isFloat
jsonpath "$.float" == 1
jsonpath "$.big" == 9007199254740993
jsonpath "$.list" count == 3
jsonpath "$.list" contains "3"
jsonpath "$.items[*].id" contains 2
jsonpath "$.text" isEmpty
jsonpath "$.nothing" == null
jsonpath "$.nowhere" not exists
body contains "\\"odd key\\": true"

# redirects are not followed
GET {{host}}/api/redirect
HTTP 302
`)
    writeFileSync(join(dir, 'notes.txt'), 'not a hurl file')
    const suite = await runHurlSuite(dir, { host: server.host })
    assert.deepEqual(suite.results.map((r) => [r.file, r.index, r.passed, r.ran]), [
      ['a_fails.hurl', 1, false, true],
      ['a_fails.hurl', 2, false, false],
      ['b_passes.hurl', 1, true, true],
      ['b_passes.hurl', 2, true, true]
    ])
    assert.deepEqual(suite.results[2]?.failures, [])
    assert.equal(suite.results[0]?.failures[0], 'line 2: HTTP status: expected 200, actual 404; body: "{\\"errors\\":{\\"path\\":[\\"not found\\"]}}"')
    assert.deepEqual([suite.passed, suite.failed, suite.notRun], [2, 2, 1])
  })

  it('runHurlSuite parses every file before sending anything', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'a.hurl'), 'GET {{host}}/api/typed\nHTTP 200\n')
    writeFileSync(join(dir, 'b.hurl'), 'GET {{host}}/api/typed\nHTTP 200\n[Asserts]\nxpath "//a" exists\n')
    const sent = server.requests.length
    await assert.rejects(runHurlSuite(dir, { host: server.host }), /^HurlParseError: b\.hurl:4: unsupported query "xpath"/)
    assert.equal(server.requests.length, sent)
  })
})
