import type { Db } from '../db/index.js'
import { createArticlesRepository } from './articles.js'
import { createCommentsRepository } from './comments.js'
import { createFilesRepository } from './files.js'
import { createMessagesRepository } from './messages.js'
import { createFavoritesRepository, createFollowsRepository } from './pairs.js'
import { createTokensRepository } from './tokens.js'
import { createUsersRepository } from './users.js'

export function createRepositories (db: Db) {
  return {
    users: createUsersRepository(db),
    articles: createArticlesRepository(db),
    files: createFilesRepository(db),
    tokens: createTokensRepository(db),
    messages: createMessagesRepository(db),
    follows: createFollowsRepository(db),
    favorites: createFavoritesRepository(db),
    comments: createCommentsRepository(db)
  }
}
export type Repositories = ReturnType<typeof createRepositories>
