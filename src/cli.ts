#!/usr/bin/env node
import { text } from 'node:stream/consumers'
import { Value } from 'typebox/value'
import { ConfigError, helpText, loadConfig, type Config } from './config.js'
import { createDb } from './db/index.js'
import { migrate } from './db/migrations.js'
import { HttpError } from './errors.js'
import { createRepositories } from './repositories/index.js'
import { CreateUserBody } from './schemas/users.js'
import { startServer } from './server.js'
import { createAccounts, type Accounts } from './services/accounts.js'

/** A failure the CLI reports in one line, exiting 1. */
class CommandError extends Error {}

const openDatabase = (config: Config) => createDb(config.database, { max: config.dbPoolSize, acquireTimeoutMs: config.dbAcquireTimeoutMs })

/** The accounts service the API uses, on the configured database, migrated first. */
async function withAccounts<T> (config: Config, work: (accounts: Accounts) => Promise<T>): Promise<T> {
  const db = await openDatabase(config)
  try {
    await migrate(db, { demoData: config.demoData })
    return await work(createAccounts(createRepositories(db), config))
  } finally {
    await db.close()
  }
}

const commands: Record<string, (config: Config, args: string[]) => Promise<void>> = {
  serve: async (config) => { await startServer(config) },

  migrate: async (config) => {
    const db = await openDatabase(config)
    try {
      const { applied } = await migrate(db, { demoData: config.demoData })
      process.stdout.write(applied.length === 0 ? 'schema up to date\n' : `applied migrations ${applied.join(', ')}\n`)
    } finally {
      await db.close()
    }
  },

  users: async (config, [action, username]) => {
    if (action !== 'add' || username === undefined) throw new CommandError('usage: restful-api users add NAME (password on stdin)')
    const password = (await text(process.stdin)).replace(/\r?\n$/, '')
    // the schema POST /users validates its body with; the rules after it are the API's own
    const problem = Value.Errors(CreateUserBody, { username, password })[0]
    if (problem !== undefined) throw new CommandError(`invalid user: ${problem.instancePath || '/'} ${problem.message}`)
    const user = await withAccounts(config, (accounts) => accounts.createUser(username, password))
    process.stdout.write(`created user ${user.username} (id ${user.id})\n`)
  },

  tokens: async (config, [action, username]) => {
    if (action !== 'create' || username === undefined) throw new CommandError('usage: restful-api tokens create USER')
    const issued = await withAccounts(config, (accounts) => accounts.issueTokenFor(username))
    process.stdout.write(`${issued.token}\n`)
    process.stderr.write(`token for ${username}, expires ${issued.expiresAt}\n`)
  }
}

/** Every bad option, one line each, and exit 2. */
function reportConfigError (err: ConfigError): never {
  for (const problem of err.problems) process.stderr.write(`restful-api: ${problem}\n`)
  process.exit(2)
}

async function main (): Promise<void> {
  let parsed
  try {
    parsed = loadConfig(process.argv.slice(2))
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    reportConfigError(err)
  }
  if (parsed.help) {
    process.stdout.write(helpText())
    return
  }
  const [name = 'serve', ...args] = parsed.positionals
  const command = commands[name]
  if (command === undefined) {
    process.stderr.write(`restful-api: unknown command ${name} (see --help)\n`)
    process.exit(2)
  }
  try {
    await command(parsed.config, args)
  } catch (err) {
    if (err instanceof ConfigError) reportConfigError(err)
    // what the API would answer with a 4xx (a taken name, an unknown user) is the user's mistake
    if (err instanceof CommandError || (err instanceof HttpError && err.statusCode < 500)) {
      process.stderr.write(`restful-api: ${err.message}\n`)
      process.exit(1)
    }
    // anything else that stops a command (a port in use, a database that cannot be reached):
    // one line, and the stack only when asked for
    const code = (err as NodeJS.ErrnoException).code
    process.stderr.write(`restful-api: ${name} failed: ${(err as Error).message}${code !== undefined && !(err as Error).message.includes(code) ? ` (${code})` : ''}\n`)
    if (parsed.config.debug) process.stderr.write(`${(err as Error).stack}\n`)
    process.exit(1)
  }
}

await main()
