/**
 * Every error the plugin answers over HTTP, in one place, each with a stable `code` and its status.
 * Fastify's error handler serialises them as `{ statusCode, code, error, message }`.
 */
import createError from '@fastify/error'

/** 401: the route needs a user and `getUserId` answered none. */
export const Unauthorized = createError('FST_DM_UNAUTHORIZED', 'Authentication credentials were not provided or are invalid', 401)

/**
 * 401: `getUserId` answered an id that names no user (a token that outlived its user, say): the
 * write is refused and nothing is stored.
 */
export const UnknownCaller = createError('FST_DM_UNKNOWN_CALLER', 'The caller is not a user', 401)

/** 404: the partner user of a route does not exist. */
export const UserNotFound = createError<'FST_DM_USER_NOT_FOUND', 404, [string | number]>('FST_DM_USER_NOT_FOUND', 'User %s does not exist', 404)

/** 404: the message does not exist, or the caller is not one of its participants. */
export const MessageNotFound = createError('FST_DM_MESSAGE_NOT_FOUND', 'Message not found', 404)

/**
 * 404: the caller has no conversation with this user (they never exchanged a message, or the user
 * does not exist: both are answered alike).
 */
export const ConversationNotFound = createError('FST_DM_CONVERSATION_NOT_FOUND', 'Conversation not found', 404)

/** 400: `content` is empty or only white space. */
export const EmptyContent = createError('FST_DM_EMPTY_CONTENT', 'content must not be empty', 400)

/** 400: `content` holds what no database stores as text (NUL characters, unpaired surrogates). */
export const InvalidContent = createError('FST_DM_INVALID_CONTENT', 'content must be valid text: no NUL characters or unpaired surrogates', 400)

/** 400: `content` is longer than the `maxContentLength` option. */
export const ContentTooLong = createError<'FST_DM_CONTENT_TOO_LONG', 400, [number]>('FST_DM_CONTENT_TOO_LONG', 'content must not be longer than %s characters', 400)

/** 400: a user tried to message themselves. */
export const SelfMessage = createError('FST_DM_SELF_MESSAGE', 'You cannot send a message to yourself', 400)

/** 400: the messaging policy (`allowedRecipients`) does not let this sender message this recipient. */
export const RecipientNotAllowed = createError('FST_DM_RECIPIENT_NOT_ALLOWED', 'You are not allowed to send messages to this user', 400)

/** 400: `reply_to` is not a message of this conversation that the sender can see. */
export const InvalidReply = createError('FST_DM_INVALID_REPLY', 'reply_to must be a message of this conversation that you can see', 400)

/** 403: only the sender of a message may edit or unsend it. */
export const NotSender = createError('FST_DM_NOT_SENDER', 'Only the sender of a message may change it', 403)

/** 409: the message was unsent: it can no longer be edited or reacted to. */
export const MessageUnsent = createError('FST_DM_MESSAGE_UNSENT', 'This message was unsent', 409)

/** 409: the message is older than the `editWindow` option allows editing. */
export const EditWindowClosed = createError('FST_DM_EDIT_WINDOW_CLOSED', 'This message can no longer be edited', 409)

/** 409: the message is older than the `unsendWindow` option allows unsending. */
export const UnsendWindowClosed = createError('FST_DM_UNSEND_WINDOW_CLOSED', 'This message can no longer be unsent', 409)

/** 400: the reaction is not one emoji (or, with the `reactions` option, not one of those allowed). */
export const InvalidReaction = createError<'FST_DM_INVALID_REACTION', 400, [string]>('FST_DM_INVALID_REACTION', 'A reaction must be %s', 400)

/** 409: the message already has the most different reactions allowed (`maxReactionKinds`). */
export const TooManyReactions = createError<'FST_DM_TOO_MANY_REACTIONS', 409, [number]>('FST_DM_TOO_MANY_REACTIONS', 'A message can have at most %s different reactions', 409)

/** 400: a user tried to block themselves. */
export const SelfBlock = createError('FST_DM_SELF_BLOCK', 'You cannot block yourself', 400)

/** 400: a user tried to mute or archive a conversation with themselves (there is none). */
export const SelfConversation = createError('FST_DM_SELF_CONVERSATION', 'You have no conversation with yourself', 400)

/** 400: the sender blocks the recipient: unblock them first. */
export const BlockedByYou = createError('FST_DM_BLOCKED_BY_YOU', 'You block this user; unblock them to send messages', 400)

/** 400: an idempotency key that is not 1–255 visible ASCII characters. */
export const InvalidIdempotencyKey = createError('FST_DM_INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 255 visible ASCII characters', 400)

/** 409: an Idempotency-Key was used before for another recipient or content. */
export const IdempotencyConflict = createError('FST_DM_IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was already used for a different message', 409)

/** 400: a page size outside 1 to the maximum. */
export const InvalidPageSize = createError<'FST_DM_INVALID_PAGE_SIZE', 400, [number]>('FST_DM_INVALID_PAGE_SIZE', 'page_size must be an integer from 1 to %s', 400)

/** 400: the `cursor` query parameter is malformed, tampered with, or belongs to another list. */
export const InvalidCursor = createError('FST_DM_INVALID_CURSOR', 'Invalid cursor', 400)

/** 400: `ids` of the presence route is not 1 to 100 distinct user ids separated by commas. */
export const InvalidPresenceIds = createError<'FST_DM_INVALID_IDS', 400, [number]>('FST_DM_INVALID_IDS', 'ids must be 1 to %s distinct user ids, separated by commas', 400)

/** 400: a user said they were typing to themselves. */
export const SelfTyping = createError('FST_DM_SELF_TYPING', 'You cannot type to yourself', 400)

/** 400: the Last-Event-ID header (or `last_event_id` parameter) is not an event id. */
export const InvalidLastEventId = createError('FST_DM_INVALID_LAST_EVENT_ID', 'Last-Event-ID must be an event id (decimal digits)', 400)

/** 406: the client of the event stream does not accept `text/event-stream`. */
export const NotAcceptable = createError('FST_DM_NOT_ACCEPTABLE', 'This endpoint only produces text/event-stream', 406)

/** 429: the user already holds the most event streams allowed (`maxStreamsPerUser`). */
export const TooManyStreams = createError<'FST_DM_TOO_MANY_STREAMS', 429, [number]>('FST_DM_TOO_MANY_STREAMS', 'You already have %s event streams open; close one first', 429)

/** 400: an attachment of a send is not one the sender may send (unknown, another user's, sent already, never uploaded, not what was declared); the message says which and why. */
export const InvalidAttachment = createError<'FST_DM_INVALID_ATTACHMENT', 400, [string]>('FST_DM_INVALID_ATTACHMENT', '%s', 400)

/** 400: the host's `scanAttachment` refused an upload (the message is the host's, or a default). */
export const AttachmentRejected = createError<'FST_DM_ATTACHMENT_REJECTED', 400, [string]>('FST_DM_ATTACHMENT_REJECTED', '%s', 400)

/** 413: an upload is larger than the `maxAttachmentSize` option, or than the size it declared. */
export const AttachmentTooLarge = createError<'FST_DM_ATTACHMENT_TOO_LARGE', 413, [string]>('FST_DM_ATTACHMENT_TOO_LARGE', '%s', 413)

/** 400: an upload's declaration is wrong (its name, type or size); the message says which. */
export const InvalidUpload = createError<'FST_DM_INVALID_UPLOAD', 400, [string]>('FST_DM_INVALID_UPLOAD', '%s', 400)

/** 415: an upload's declared type is not one the `attachmentTypes` option allows. */
export const AttachmentTypeNotAllowed = createError<'FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED', 415, [string]>('FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED', 'Files of type %s are not allowed', 415)

/** 404: no attachment the caller may read has this id (unknown, another conversation's, or not sent yet). */
export const AttachmentNotFound = createError('FST_DM_ATTACHMENT_NOT_FOUND', 'Attachment not found', 404)

/** 403: a signed attachment URL that is wrong or expired; it says nothing of the file. Ask for a fresh one. */
export const InvalidAttachmentUrl = createError('FST_DM_INVALID_ATTACHMENT_URL', 'This attachment URL is invalid or has expired', 403)

/** 409: the bytes of this upload were sent already (an upload URL is used once). */
export const AlreadyUploaded = createError('FST_DM_ALREADY_UPLOADED', 'This upload has already received its bytes', 409)

/** 400: the upload ended with fewer bytes than declared; nothing is kept, send it again. */
export const IncompleteUpload = createError<'FST_DM_INCOMPLETE_UPLOAD', 400, [number, number]>('FST_DM_INCOMPLETE_UPLOAD', 'The upload ended after %s of its %s bytes; send it again', 400)

/** 503: the storage of attachments cannot be reached right now; nothing was stored. Retry shortly. */
export const StorageUnavailable = createError('FST_DM_STORAGE_UNAVAILABLE', 'The storage of attachments is unavailable right now; retry shortly', 503)

/** 503: real-time delivery is down (the event bus lost its connection); retry shortly. */
export const StreamUnavailable = createError('FST_DM_STREAM_UNAVAILABLE', 'Real-time delivery is unavailable right now; retry shortly', 503)

/** 503: the database cannot be reached right now; retry shortly (a Retry-After header says when). */
export const DatabaseUnavailable = createError('FST_DM_DATABASE_UNAVAILABLE', 'The database is unavailable right now; retry shortly', 503)

/**
 * 503: the database did not answer within the `databaseTimeout` option; retry shortly (a
 * Retry-After header says when). A send that timed out may still be stored: retry it with the same
 * Idempotency-Key.
 */
export const DatabaseTimeout = createError<'FST_DM_DATABASE_TIMEOUT', 503, [number]>('FST_DM_DATABASE_TIMEOUT', 'The database did not answer within %s ms; retry shortly', 503)

/** 500: an unexpected failure; the original error is logged, never answered. */
export const InternalError = createError('FST_DM_INTERNAL', 'The request could not be completed', 500)

/**
 * Fails `ready()` when the database or the user model does not match what the plugin needs; the
 * message names what is missing and the command that fixes it.
 */
export const SchemaMismatch = createError<'FST_DM_SCHEMA_MISMATCH', number, [string]>('FST_DM_SCHEMA_MISMATCH', 'fastify-directmessages: %s', 500)

/** Thrown by `register` when an option is wrong; the message names the option. */
export const InvalidOption = createError<'FST_DM_INVALID_OPTION', number, [string]>('FST_DM_INVALID_OPTION', 'fastify-directmessages: %s', 500)
