import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyReply } from 'fastify'
import { PreconditionFailed } from '../errors.js'

/** Entity tags of an If-Match / If-None-Match list (RFC 9110 §13.1), `*` as is. */
function tagsOf (header: string): string[] {
  return header.match(/\*|(?:W\/)?"[^"]*"/g) ?? []
}

const opaque = (tag: string) => tag.replace(/^W\//, '')

/** If-None-Match matches (weak comparison): a GET or HEAD answers 304. */
export function noneMatchHits (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return tagsOf(header).some((tag) => tag === '*' || opaque(tag) === opaque(etag))
}

/** 304 Not Modified: no body, the tag repeated (RFC 9110 §15.4.5). */
export function sendNotModified (reply: FastifyReply, etag: string): FastifyReply {
  return reply.code(304).header('etag', etag).send()
}

/** What a conditional request is checked against: the current tag and, where kept, the modification time. */
export interface Validators {
  readonly etag: string
  readonly lastModified?: string
}

/** Whole seconds: HTTP dates carry no more. */
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000)

/** If-Modified-Since on a GET: true when the resource has not changed since (and no If-None-Match was sent). */
export function notModifiedSince (headers: IncomingHttpHeaders, lastModified: string): boolean {
  const since = Date.parse(headers['if-modified-since'] ?? '')
  return headers['if-none-match'] === undefined && !Number.isNaN(since) && seconds(lastModified) <= since / 1000
}

/**
 * The preconditions of a change (RFC 9110 §13.2.2), against the current state
 * or its absence: If-Match (strong comparison; fails on a missing resource),
 * else If-Unmodified-Since; then If-None-Match (`*`: only if there is none yet).
 */
export function assertPreconditions (headers: IncomingHttpHeaders, current: Validators | undefined): void {
  const ifMatch = headers['if-match']
  if (ifMatch !== undefined) {
    if (current === undefined || !tagsOf(ifMatch).some((tag) => tag === '*' || tag === current.etag)) throw PreconditionFailed()
  } else if (current?.lastModified !== undefined) {
    const since = Date.parse(headers['if-unmodified-since'] ?? '')
    if (!Number.isNaN(since) && seconds(current.lastModified) > since / 1000) throw PreconditionFailed()
  }
  if (current !== undefined && noneMatchHits(headers['if-none-match'], current.etag)) throw PreconditionFailed()
}
