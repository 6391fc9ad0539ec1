import type { Db } from '../db/index.js'
import { createArticlesRepository } from './articles.js'
import { createFilesRepository } from './files.js'
import { createMessagesRepository } from './messages.js'
import { createTokensRepository } from './tokens.js'
import { createUsersRepository } from './users.js'

export function createRepositories (db: Db) {
  return {
    users: createUsersRepository(db),
    articles: createArticlesRepository(db),
    files: createFilesRepository(db),
    tokens: createTokensRepository(db),
    messages: createMessagesRepository(db)
  }
}
export type Repositories = ReturnType<typeof createRepositories>
