import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import type { FastifySchemaCompiler } from 'fastify'
import type { TSchema } from 'typebox'

const INTEGER = /^-?\d+$/

/**
 * TypeBox validation, with one strictness added: TypeBox converts query and
 * path strings leniently ("1.5" → 1, "0x10" → 16, "" → 0), so an integer
 * parameter must be written as decimal digits before it is converted.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  const validate = TypeBoxValidatorCompiler(route)
  if (route.httpPart === 'body') return validate
  const properties = (route.schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {}
  const integers = Object.keys(properties).filter((key) => properties[key]?.type === 'integer')
  if (integers.length === 0) return validate
  return (value) => {
    const raw = value as Record<string, unknown>
    for (const key of integers) {
      const given = raw[key]
      if (typeof given === 'string' && !INTEGER.test(given)) {
        return { error: [{ keyword: 'type', instancePath: `/${key}`, schemaPath: `#/properties/${key}/type`, params: { type: 'integer' }, message: 'must be integer' }] }
      }
    }
    return validate(value)
  }
}
