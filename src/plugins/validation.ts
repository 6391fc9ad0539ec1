import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler'
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import type { FastifySchemaCompiler } from 'fastify'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'

const INTEGER = /^-?\d+$/

/**
 * TypeBox validation, with one strictness added: TypeBox converts query and
 * path strings leniently ("1.5" → 1, "0x10" → 16, "" → 0), so an integer
 * parameter must be written as decimal digits before it is converted.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  if (route.httpPart === 'body') return TypeBoxValidatorCompiler(route)
  // Query and path values that already fit (strings, as most are) skip TypeBox's
  // conversion, which walks the schema on every request; integers are converted here.
  // TypeBox's own validator, for the values that do not fit, is compiled on the first.
  const check = Compile(route.schema)
  let validate: ReturnType<typeof TypeBoxValidatorCompiler> | undefined
  const properties = (route.schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {}
  const integers = Object.keys(properties).filter((key) => properties[key]?.type === 'integer')
  return (value) => {
    const raw = value as Record<string, unknown>
    let converted: Record<string, unknown> | undefined
    for (const key of integers) {
      const given = raw[key]
      if (typeof given !== 'string') continue
      if (!INTEGER.test(given)) {
        return { error: [{ keyword: 'type', instancePath: `/${key}`, schemaPath: `#/properties/${key}/type`, params: { type: 'integer' }, message: 'must be integer' }] }
      }
      converted ??= { ...raw }
      converted[key] = Number(given)
    }
    const candidate = converted ?? raw
    return check.Check(candidate) ? { value: candidate } : (validate ??= TypeBoxValidatorCompiler(route))(value)
  }
}

const buildSerializers = SerializerSelector()

/**
 * Fastify's response serialisers (fast-json-stringify), each compiled on the
 * first answer that needs it rather than at start-up: compiling every route's
 * response schemas up front was ~50 ms of a ~600 ms start, for routes many
 * processes never answer.
 */
export const lazySerializers: SerializerFactory = (externalSchemas, options) => {
  const compile = buildSerializers(externalSchemas, options)
  return (route) => {
    let serialize: ReturnType<typeof compile> | undefined
    return (data) => (serialize ??= compile(route))(data)
  }
}
