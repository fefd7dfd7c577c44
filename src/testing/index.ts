/**
 * `fastify-directmessages/testing`: the conformance kits, for what extends the plugin. The kit of
 * buses ({@link runBusTests}): run it against your own {@link DirectMessagesBus} to know it
 * delivers as the plugin expects. The kit of dialects ({@link runDialectTests}): what a database's
 * dialect must do for the plugin's statements, on a real database. The kit of attachment storages
 * ({@link runStorageTests}): what your own `AttachmentStorage` must do to keep the plugin's
 * files, on the real service.
 */
export { runBusTests, type BusTestOptions } from './bus.js'
export { runStorageTests, type StorageTestOptions } from './storage.js'
export { runDialectTests, type Dialect, type DialectTestOptions, type DriverSupport, type SendInput } from './dialect.js'
export type { BusEvent, BusHandlers, DirectMessagesBus } from '../realtime/bus.js'
