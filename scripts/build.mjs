// `npm run build`: dist/cli.js, the program `npm start` runs. Type checking is
// `npm run typecheck`; this only compiles and bundles.
//
// The packages are bundled in: Node finds, reads and compiles a package's modules
// one file at a time, and the hundreds of small files of Fastify, pino, TypeBox
// and Ajv were most of the start-up time (median of 12 alternating starts here:
// 858 ms bundled against 1132 ms with only TypeBox bundled). Left in node_modules:
// the native SQLite driver, and the PostgreSQL and Redis clients, which are loaded
// only when configured (pg in a chunk of its own). The bundle is minified but for its
// names (stack traces keep them; dist/*.map has the sources): V8 reads and parses all
// of it at start, 1.9 MB instead of 3 MB (609 against 644 ms, medians of 12 alternating).
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

const EXTERNAL = ['better-sqlite3', 'pg', 'ioredis']

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })
await build({
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL.flatMap((name) => [name, `${name}/*`]),
  // the bundled CommonJS packages require Node's modules, which an ES module can do only through this
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  logLevel: 'warning'
})
