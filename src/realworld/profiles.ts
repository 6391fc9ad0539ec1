import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { toggleRoutes, viewerIdOf } from './guards.js'
import { JSON_ONLY, ProfileResponse, TAGS, UsernameParams } from './schemas.js'
import { ProfileNotFound } from '../errors.js'

const profilesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users, follows } = app.repos

  /** The profile as `viewerId` sees it; 404 when no user has the name (the admin has no profile). */
  const profileOr404 = async (username: string, viewerId: number | null) => {
    const profile = await users.findProfile(username, viewerId)
    if (profile === undefined) throw ProfileNotFound()
    return profile
  }

  app.get('/profiles/:username', {
    schema: { tags: [TAGS.profiles], summary: 'A user\'s profile', params: UsernameParams, response: { 200: ProfileResponse } },
    config: { produces: JSON_ONLY, auth: 'optional', statuses: [404, 422] }
  }, async (request) => ({ profile: await profileOr404(request.params.username, viewerIdOf(request)) }))

  toggleRoutes(app, '/profiles/:username/follow', {
    tag: TAGS.profiles, summaries: ['Follow a user (again: no change)', 'Unfollow a user'], params: UsernameParams, response: ProfileResponse
  }, async (request, followerId, following) => {
    const profile = await profileOr404(request.params.username, followerId)
    await follows.set(followerId, profile.id, following)
    // the profile's schema leaves out its id
    return { profile: { username: profile.username, bio: profile.bio, image: profile.image, following } }
  })
}
export default profilesRoutes
