import { Type, type Static } from 'typebox'
import { Timestamp } from './common.js'

export const USERNAME_PATTERN = '^[A-Za-z0-9_.-]{1,64}$'

export const UserSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  createdAt: Timestamp
}, { examples: [{ id: 2, username: 'steve', createdAt: '2012-05-02T12:00:00.000Z' }] })
export type User = Static<typeof UserSchema>

export const UserSummarySchema = Type.Object({ id: Type.Integer(), username: Type.String() })
export type UserSummary = Static<typeof UserSummarySchema>

const Password = Type.String({ minLength: 8, maxLength: 1024 })

export const CreateUserBody = Type.Object({
  username: Type.String({ pattern: USERNAME_PATTERN }),
  password: Password
}, { additionalProperties: false })

export const ChangePasswordBody = Type.Object({ password: Password }, { additionalProperties: false })
