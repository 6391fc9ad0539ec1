// `npm run build`: dist/cli.js, the program `npm start` runs. Type checking is
// `npm run typecheck`; this only compiles and bundles.
//
// TypeBox is bundled in: it is ~700 small ES modules, and loading them one by one
// was half of the start-up time (about 250 ms of 750 here). Every other package
// stays in node_modules, loaded as it is; the PostgreSQL driver stays a separate
// chunk, loaded only when used.
import { rmSync, readFileSync } from 'node:fs'
import { build } from 'esbuild'

const BUNDLED = new Set(['typebox', '@fastify/type-provider-typebox'])

const { dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const external = Object.keys(dependencies).filter((name) => !BUNDLED.has(name)).flatMap((name) => [name, `${name}/*`])

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })
await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  logLevel: 'warning'
})
