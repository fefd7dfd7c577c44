/** The route schemas of events: they validate requests, serialise responses, type the handlers and document the routes. */
import { badRequest, describe, ErrorResponse, EventsQuery, unauthorized } from '../../http/schemas.js'

/** @internal */
export function eventSchemas () {
  return {
    events: {
      ...describe('Real-time event stream', [
        'A `text/event-stream` of the caller\'s changes, as they commit, each with an SSE `id` (the change id, increasing):',
        '`message` (a message sent to or by the caller; data: the message object),',
        '`message_updated` (a message was edited, unsent, reacted to or read; data: the message object as the caller now sees it),',
        '`deleted` (the caller hid a message on another device; data: `{id}`),',
        '`conversation_deleted` (the caller deleted a conversation on another device; data: `{partner}`);',
        'after reads of the caller\'s messages, `read` (no SSE id; data: `{partner, ids, read_at}`);',
        'never replayed and without an SSE id: `typing` (data: `{partner, expires_at}`) and `presence` (data: `{user, online, last_seen_at}`).',
        'Reconnecting with `Last-Event-ID` (or `?last_event_id=`) first replays every change since that id;',
        'an id whose changes are no longer kept (option `changeRetention`) gets `reset` first: reload, then follow the stream.',
        'Comment lines keep idle streams alive.'
      ].join(' ')),
      querystring: EventsQuery,
      response: {
        200: {
          description: 'The event stream',
          content: { 'text/event-stream': { schema: { type: 'string' } } }
        },
        ...badRequest,
        ...unauthorized,
        406: { ...ErrorResponse, description: 'The client does not accept text/event-stream' },
        429: { ...ErrorResponse, description: 'The caller already holds the most streams allowed (maxStreamsPerUser)' },
        503: { ...ErrorResponse, description: 'Real-time delivery is down (the event bus is reconnecting); retry shortly' }
      }
    }
  }
}
