/**
 * `fastify-directmessages/testing`: what a package extending the plugin needs to test itself. For
 * now, the conformance kit of buses ({@link runBusTests}): run it against your own
 * {@link DirectMessagesBus} to know it delivers as the plugin expects.
 */
export { runBusTests, type BusTestOptions } from './bus.js'
export type { BusEvent, BusHandlers, DirectMessagesBus } from '../realtime/bus.js'
