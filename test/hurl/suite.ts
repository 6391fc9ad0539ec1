import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The RealWorld project's conformance suite, as it is, beside the clone (../shared/realworld/hurl:
 * data of another project, not copied into this one). Without it the suites that read it skip with
 * this reason; under CI, which lays it beside every clone, its absence is a failure.
 */
export const REALWORLD_SUITE = fileURLToPath(new URL('../../../shared/realworld/hurl/', import.meta.url))

export const suiteMissing = existsSync(REALWORLD_SUITE) ? undefined : `no RealWorld suite at ${REALWORLD_SUITE} (../shared/realworld/hurl beside the clone)`
if (suiteMissing !== undefined && process.env.CI === 'true') throw new Error(`CI needs the RealWorld suite: ${suiteMissing}`)
