import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

// A tiny fake of a few Conduit routes, for the runner's own tests (not the API under test)

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface FixtureServer {
  /** Base URL without /api, as the .hurl files expect `host`. */
  readonly host: string
  /** Every request received, in order. */
  readonly requests: RecordedRequest[]
  close (): Promise<void>
}

/** Numbers written as a JSON text so that 1.0 stays a float and the big integer keeps its digits. */
const TYPED = '{"int": 1, "float": 1.0, "big": 9007199254740993, "text": "", "list": [1, 2.5, "3"], "empty": [], ' +
  '"nothing": null, "items": [{"id": 1, "tags": ["a"]}, {"id": 2, "tags": []}], "odd key": true}'

export async function startFixtureServer (): Promise<FixtureServer> {
  const requests: RecordedRequest[] = []
  const users = new Map<string, { username: string, email: string }>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const send = (status: number, payload: string, headers: Record<string, string | string[]> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers })
        res.end(payload)
      }
      const userJson = (u: { username: string, email: string }) =>
        JSON.stringify({ user: { username: u.username, email: u.email, bio: null, image: null, token: `tok-${u.username}` } })
      const route = `${req.method} ${req.url}`
      if (route === 'POST /api/users') {
        let user: { username: string, email: string }
        try {
          user = (JSON.parse(body) as { user: { username: string, email: string } }).user
        } catch {
          return send(400, '{"errors":{"body":["is not JSON"]}}')
        }
        users.set(`tok-${user.username}`, user)
        return send(201, userJson(user))
      }
      if (route === 'GET /api/user') {
        const token = /^Token (.+)$/.exec(req.headers.authorization ?? '')?.[1]
        const user = token === undefined ? undefined : users.get(token)
        return user === undefined ? send(401, '{"errors":{"token":["is missing"]}}') : send(200, userJson(user))
      }
      if (route === 'GET /api/typed') return send(200, TYPED, { 'X-Fixture': 'Yes', 'Set-Cookie': ['a=1; Path=/', 'b=2'] })
      if (route === 'GET /api/redirect') return send(302, '', { location: '/api/typed' })
      if (route === 'GET /api/text') return send(200, 'not JSON at all', { 'content-type': 'text/plain' })
      send(404, '{"errors":{"path":["not found"]}}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    host: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections()
      server.close((err) => err ? reject(err) : resolve())
    })
  }
}
