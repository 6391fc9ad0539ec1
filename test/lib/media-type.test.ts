import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { isJsonType, mediaTypeOf, mediaTypeParameter, negotiate } from '../../src/lib/media-type.js'
import { isXmlType } from '../../src/lib/representations.js'
import { DATA_TYPES, LIST_TYPES } from '../../src/schemas/common.js'

describe('negotiate', () => {
  const offered = ['text/plain', 'application/json']

  it('gives the first offer when Accept is absent, empty or garbage', () => {
    assert.equal(negotiate(undefined, offered), 'text/plain')
    assert.equal(negotiate('', offered), 'text/plain')
    assert.equal(negotiate(',,,', offered), 'text/plain')
  })

  it('follows q-values, then the server order on ties', () => {
    assert.equal(negotiate('application/json', offered), 'application/json')
    assert.equal(negotiate('text/plain;q=0.5, application/json', offered), 'application/json')
    assert.equal(negotiate('application/json;q=0.2, text/*;q=0.3', offered), 'text/plain')
    assert.equal(negotiate('*/*', offered), 'text/plain')
    assert.equal(negotiate('application/json, text/plain', offered), 'text/plain')
  })

  it('lets the most specific range decide, so q=0 refuses a type', () => {
    assert.equal(negotiate('*/*, text/plain;q=0', offered), 'application/json')
    assert.equal(negotiate('application/*;q=0, */*', offered), 'text/plain')
  })

  it('returns undefined when nothing offered is acceptable', () => {
    assert.equal(negotiate('image/png', offered), undefined)
    assert.equal(negotiate('text/plain;q=0, application/json;q=0', offered), undefined)
  })

  it('is case-insensitive', () => {
    assert.equal(negotiate('Application/JSON', offered), 'application/json')
  })
})

describe('negotiate over the data and list types', () => {
  it('offers text/xml wherever application/xml is, after it', () => {
    for (const offered of [DATA_TYPES, LIST_TYPES]) {
      assert.ok(offered.includes('text/xml'))
      assert.ok(offered.indexOf('application/xml') < offered.indexOf('text/xml'))
      assert.deepEqual(offered.filter(isXmlType), ['application/xml', 'text/xml'])
    }
  })

  it('answers text/xml when the client prefers it, application/xml on a tie', () => {
    for (const offered of [DATA_TYPES, LIST_TYPES]) {
      assert.equal(negotiate('text/xml', offered), 'text/xml')
      assert.equal(negotiate('application/xml, text/xml', offered), 'application/xml')
      assert.equal(negotiate('text/xml, application/xml', offered), 'application/xml')
      assert.equal(negotiate('text/xml;q=0.9, application/xml;q=0.9', offered), 'application/xml')
      assert.equal(negotiate('application/xml;q=0.8, text/xml;q=0.9', offered), 'text/xml')
      assert.equal(negotiate('*/*', offered), 'application/json')
      assert.equal(negotiate(undefined, offered), 'application/json')
      assert.equal(negotiate('application/xml;q=0, text/xml;q=0', offered), undefined)
    }
  })

  it('keeps text/* on a list for CSV', () => {
    assert.equal(negotiate('text/*', LIST_TYPES), 'text/csv')
    assert.equal(negotiate('text/*', DATA_TYPES), 'text/xml')
  })
})

describe('media type helpers', () => {
  it('reads the essence and parameters of a Content-Type', () => {
    assert.equal(mediaTypeOf('Text/Plain; charset=UTF-8'), 'text/plain')
    assert.equal(mediaTypeOf(undefined), '')
    assert.equal(mediaTypeParameter('multipart/form-data; boundary="a b"', 'boundary'), 'a b')
    assert.equal(mediaTypeParameter('text/plain; Charset=latin1', 'charset'), 'latin1')
    assert.equal(mediaTypeParameter('text/plain', 'charset'), undefined)
  })

  it('treats every +json type as JSON', () => {
    assert.equal(isJsonType('application/json'), true)
    assert.equal(isJsonType('application/merge-patch+json'), true)
    assert.equal(isJsonType('application/vnd.example.v2+json'), true)
    assert.equal(isJsonType('text/json'), false)
    assert.equal(isJsonType('application/jsonx'), false)
  })
})
