// Rewrites .env.example from the declarations in src/config.ts:
//   node --import tsx scripts/env-example.ts
// test/env-example.test.ts fails while the file differs from what this writes.
import { writeFileSync } from 'node:fs'
import { envExample } from '../src/config.js'

const file = new URL('../.env.example', import.meta.url)
writeFileSync(file, envExample())
process.stdout.write(`wrote ${file.pathname}\n`)
