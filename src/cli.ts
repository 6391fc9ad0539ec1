#!/usr/bin/env node
import { text } from 'node:stream/consumers'
import { Value } from 'typebox/value'
import { ConfigError, helpText, loadConfig, type Config } from './config.js'
import { createDb } from './db/index.js'
import { migrate } from './db/migrations.js'
import { hashPassword } from './lib/password.js'
import { createRepositories } from './repositories/index.js'
import { CreateUserBody } from './schemas/users.js'
import { startServer } from './server.js'

/** A failure the CLI reports in one line, exiting 1. */
class CommandError extends Error {}

const openDatabase = (config: Config) => createDb(config.database, { max: config.dbPoolSize, acquireTimeoutMs: config.dbAcquireTimeoutMs })

async function withRepositories<T> (config: Config, work: (repos: ReturnType<typeof createRepositories>) => Promise<T>): Promise<T> {
  const db = await openDatabase(config)
  try {
    await migrate(db, { demoData: config.demoData })
    return await work(createRepositories(db))
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
    const problem = Value.Errors(CreateUserBody, { username, password })[0]
    if (problem !== undefined) throw new CommandError(`invalid user: ${problem.instancePath || '/'} ${problem.message}`)
    if (username === config.adminUser) throw new CommandError(`the name ${username} is the administrator's`)
    const user = await withRepositories(config, async (repos) => {
      if (await repos.users.findCredentials(username) !== undefined) throw new CommandError(`the username ${username} is taken`)
      return await repos.users.create(username, await hashPassword(password))
    })
    process.stdout.write(`created user ${user.username} (id ${user.id})\n`)
  },

  tokens: async (config, [action, username]) => {
    if (action !== 'create' || username === undefined) throw new CommandError('usage: restful-api tokens create USER')
    const issued = await withRepositories(config, async (repos) => {
      if (username === config.adminUser) return await repos.tokens.issue(null, config.tokenTtlSeconds)
      const user = await repos.users.findCredentials(username)
      if (user === undefined) throw new CommandError(`no user named ${username}`)
      return await repos.tokens.issue(user.id, config.tokenTtlSeconds)
    })
    process.stdout.write(`${issued.token}\n`)
    process.stderr.write(`token for ${username}, expires ${issued.expiresAt}\n`)
  }
}

async function main (): Promise<void> {
  let parsed
  try {
    parsed = loadConfig(process.argv.slice(2))
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`restful-api: ${err.message}\n`)
    process.exit(2)
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
    if (err instanceof ConfigError) {
      process.stderr.write(`restful-api: ${err.message}\n`)
      process.exit(2)
    }
    if (err instanceof CommandError) {
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
