import { Type } from 'typebox'
import { PageQuery, Timestamp } from './common.js'

export const FileSchema = Type.Object({
  key: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  etag: Type.String(),
  owner: Type.String(),
  lastModified: Timestamp
})

export const FilesQuery = Type.Object({
  ...PageQuery.properties,
  prefix: Type.Optional(Type.String({ maxLength: 1024, description: 'only keys that start with this' }))
})
