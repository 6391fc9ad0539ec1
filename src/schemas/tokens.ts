import { Type } from 'typebox'
import { Timestamp } from './common.js'

export const TokenSchema = Type.Object({
  token: Type.String({ description: 'shown once; only its hash is stored' }),
  expiresAt: Timestamp
})
