import { describe, it } from 'node:test'
import { adminAuth, assertSecret, bearerFor, createUser, secrets, startTestServer } from '../helper.js'

describe('GET /secrets', () => {
  it('shows the secret to the admin and to a user, with Basic or a bearer token', async (t) => {
    const server = await startTestServer(t)
    const user = await createUser(server, 'alice', 'alice password 1')
    for (const authorization of [adminAuth(), user.auth, await bearerFor(server, adminAuth()), await bearerFor(server, user.auth)]) {
      await assertSecret(await secrets(server, authorization))
    }
  })
})
