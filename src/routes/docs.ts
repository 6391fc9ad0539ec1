import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { NotFound } from '../errors.js'
import { noneMatchHits, sendNotModified } from './conditional.js'

/** Swagger UI's own files, from the swagger-ui-dist package (its index module would load the whole bundle). */
const DIST = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
const HTML = 'text/html; charset=utf-8'
const CSS = 'text/css; charset=utf-8'
const JS = 'text/javascript; charset=utf-8'
const DIST_FILES = new Map([
  ['swagger-ui.css', CSS],
  ['index.css', CSS],
  ['swagger-ui-bundle.js', JS],
  ['swagger-ui-standalone-preset.js', JS],
  ['oauth2-redirect.html', HTML],
  ['oauth2-redirect.js', JS],
  ['favicon-16x16.png', 'image/png'],
  ['favicon-32x32.png', 'image/png']
])

/** The page's HTML, with its assets under `assets` (a path relative to the page's own URL). */
const pageHtml = (assets: string) => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>restful-api: API reference</title>
<link rel="stylesheet" type="text/css" href="${assets}swagger-ui.css">
<link rel="stylesheet" type="text/css" href="${assets}index.css">
<link rel="icon" type="image/png" href="${assets}favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="${assets}favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assets}swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="${assets}swagger-ui-standalone-preset.js" charset="UTF-8"></script>
<script src="${assets}swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
`

// The document's URL is found from this script's own (…/docs/static/), so that the page
// works at /docs and /docs/, and behind a proxy that serves the API under a path.
// Nothing leaves the machine: no validator badge, no remote document.
const INITIALIZER = `const documentUrl = new URL('../../openapi.json', document.currentScript.src).href
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: documentUrl,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
    validatorUrl: null,
    tryItOutEnabled: true,
    persistAuthorization: true,
    displayRequestDuration: true
  })
}
`

interface Asset {
  readonly type: string
  readonly body: Buffer
  readonly etag: string
}

const asset = (type: string, body: Buffer): Asset =>
  ({ type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })

const page = (assets: string): Asset => asset(HTML, Buffer.from(pageHtml(assets)))

/**
 * The interactive reference (Swagger UI) at /docs, from the project's own
 * dependencies: it works with no internet. Swagger UI's files are read on
 * their first request, not at start-up, and kept: most processes never serve
 * them. Each carries an ETag and `no-cache`, so that a browser revalidates
 * (a 304) and never runs an old bundle after an upgrade: the names do not
 * change between versions.
 */
const docsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const generated = new Map<string, Asset>([
    ['index.html', page('')],
    ['swagger-initializer.js', asset(JS, Buffer.from(INITIALIZER))]
  ])
  const loaded = new Map<string, Promise<Asset>>()
  const load = (name: string): Promise<Asset> | undefined => {
    const type = DIST_FILES.get(name)
    if (type === undefined) return undefined
    let pending = loaded.get(name)
    if (pending === undefined) {
      pending = readFile(join(DIST, name)).then((body) => asset(type, body))
      // a failed read is tried again by the next request
      pending.catch(() => loaded.delete(name))
      loaded.set(name, pending)
    }
    return pending
  }
  const send = (request: FastifyRequest, reply: FastifyReply, { type, body, etag }: Asset) => {
    reply.header('cache-control', 'no-cache')
    if (noneMatchHits(request.headers['if-none-match'], etag)) return sendNotModified(reply, etag)
    return reply.type(type).header('etag', etag).send(body)
  }

  const atRoot = page('docs/static/')
  app.get('', {
    schema: { tags: ['operations'], summary: 'This document as an interactive page (Swagger UI), served with no request leaving the machine' },
    config: { rawResponse: 'text/html', statuses: [304] }
  }, async (request, reply) => send(request, reply, atRoot))

  const inFolder = page('static/')
  app.get('/', { schema: { hide: true }, prefixTrailingSlash: 'slash' }, async (request, reply) => send(request, reply, inFolder))

  app.get('/static/:file', {
    schema: { hide: true, params: Type.Object({ file: Type.String() }) }
  }, async (request, reply) => {
    const { file } = request.params
    const found = generated.get(file) ?? await load(file)
    if (found === undefined) throw NotFound(request.absoluteUrl(request.url))
    return send(request, reply, found)
  })
}
export default docsRoutes
