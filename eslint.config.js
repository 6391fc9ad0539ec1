import neostandard from 'neostandard'

const forbid = (patterns, message) => ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }]

// The module boundaries of the service: routes reach data only through
// decorators, repositories never see HTTP, config and errors are leaves.
export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', 'test-output/**'] }),
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error'
    }
  },
  {
    files: ['src/routes/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(['**/db/**', 'better-sqlite3', 'pg', '**/repositories/**', '**/plugins/**', '**/app.js'],
        'routes reach data through app.repos and request decorators only')
    }
  },
  {
    files: ['src/repositories/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(['fastify', 'fastify-plugin', '@fastify/*', '**/plugins/**', '**/routes/**', '**/app.js'],
        'repositories know nothing of HTTP')
    }
  },
  {
    files: ['src/config.ts', 'src/errors.ts', 'src/lib/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(['**/app.js', '**/plugins/**', '**/routes/**', '**/repositories/**', '**/db/**', '**/server.js'],
        'config, errors and lib are leaves: they import no application layer')
    }
  },
  {
    files: ['src/server.ts'],
    rules: {
      'no-restricted-imports': forbid(['**/plugins/**', '**/routes/**', '**/repositories/**', '**/db/**'],
        'server.ts composes only app.ts and config.ts')
    }
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'only config.ts reads the environment' }]
    }
  }
]
