import { strict as assert } from 'node:assert'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { ENV_EXAMPLE_COMMAND, envExample, OPTIONS } from '../src/config.js'

const FILE = new URL('../.env.example', import.meta.url)
const HOW_TO_FIX = `rewrite it from src/config.ts with \`${ENV_EXAMPLE_COMMAND}\``

/** The variables a .env file names, set or commented out (`# NAME=`). */
function variablesIn (text: string): string[] {
  return text.split('\n').flatMap((line) => /^(?:#\s*)?([A-Z][A-Z0-9_]*)=/.exec(line)?.[1] ?? [])
}

describe('.env.example', () => {
  const text = readFileSync(FILE, 'utf8')

  it('lists every variable the configuration reads, and no other', () => {
    const listed = variablesIn(text)
    const read = OPTIONS.map((option) => option.env)
    const missing = read.filter((name) => !listed.includes(name))
    const unknown = listed.filter((name) => !read.includes(name))
    assert.deepEqual({ missing, unknown }, { missing: [], unknown: [] }, `.env.example is out of date: ${HOW_TO_FIX}`)
    assert.equal(new Set(listed).size, listed.length, `.env.example names a variable twice: ${HOW_TO_FIX}`)
  })

  it('is what the declarations generate: each default, help text and flag', () => {
    assert.equal(text, envExample(), `.env.example differs from the declarations: ${HOW_TO_FIX}`)
  })

  it('gives each variable its default, and leaves those without one commented out', () => {
    const generated = envExample()
    for (const option of OPTIONS) {
      const line = generated.split('\n').find((l) => variablesIn(l)[0] === option.env)
      if (option.default === null) assert.match(line ?? '', new RegExp(`^# ${option.env}=`), option.env)
      else assert.equal(line, `${option.env}=${option.default}`, option.env)
    }
  })
})
