import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { isJsonType, mediaTypeOf, mediaTypeParameter, negotiate } from '../../src/lib/media-type.js'

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
