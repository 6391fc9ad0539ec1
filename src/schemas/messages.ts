import { Type, type Static } from 'typebox'
import { Timestamp } from './common.js'

export const MESSAGE_TYPES = ['text/plain', 'application/json', 'application/octet-stream', 'multipart/form-data'] as const

export const MessagePartSchema = Type.Object({
  name: Type.String(),
  filename: Type.Union([Type.String(), Type.Null()]),
  contentType: Type.Union([Type.String(), Type.Null()]),
  size: Type.Integer(),
  sha256: Type.String()
})
export type MessagePart = Static<typeof MessagePartSchema>

export const MessageSchema = Type.Object({
  id: Type.Integer(),
  contentType: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  owner: Type.Union([Type.String(), Type.Null()], { description: 'username of the sender; null when anonymous' }),
  createdAt: Timestamp,
  parts: Type.Array(MessagePartSchema, { description: 'multipart fields and files, in order' })
})
export type Message = Static<typeof MessageSchema>

export const MessageCreatedSchema = Type.Object({
  message: Type.String({ description: 'the tutorial\'s reply text' }),
  id: Type.Integer(),
  location: Type.String()
}, { examples: [{ message: 'JSON Message: {"message": "Hello Data"}', id: 1, location: '/messages/1' }] })
