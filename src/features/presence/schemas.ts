/** The route schemas of typing and presence: they validate requests, serialise responses, type the handlers and document the routes. */
import { Type } from '@sinclair/typebox'
import { badRequest, describe, notFound, unauthorized, type SharedSchemas } from '../../http/schemas.js'

/** @internal */
export function presenceSchemas ({ UserIdParams }: SharedSchemas) {
  const PresenceResponse = Type.Array(Type.Object({
    // The user id schema of the `userIdType` option, as the routes' `<id>` has it.
    id: UserIdParams.properties.id,
    online: Type.Boolean({ description: 'An event stream of theirs is open, on any instance' }),
    last_seen_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When their last event stream closed; null: never, or not known to the caller' })
  }, { title: 'Presence' }))
  return {
    typing: {
      ...describe('Say you are typing', [
        'Tells user `id`\'s event streams that the caller is typing to them (`typing` `{partner, expires_at}`, 5 s from now).',
        'Nothing is stored. Calls less than 2 s apart are sent on once. When user `id` could not receive a message from the caller',
        '(the messaging policy, a block), the answer is the same 204 and nothing is sent.'
      ].join(' ')),
      params: UserIdParams,
      response: { 204: Type.Null({ description: 'Sent on (or not, see above)' }), ...badRequest, ...unauthorized, ...notFound }
    },
    presence: {
      ...describe('Who is online', [
        'For each of `ids` (1–100 distinct user ids, comma-separated), whether the user is online (an event stream of theirs is open',
        'on any instance) and when their last stream closed. Only the users the caller has a conversation with, and no block between them,',
        'are answered truthfully; anyone else reads offline and never seen.'
      ].join(' ')),
      querystring: Type.Object({
        ids: Type.String({ description: 'User ids, separated by commas' })
      }),
      response: { 200: PresenceResponse, ...badRequest, ...unauthorized }
    }
  }
}
