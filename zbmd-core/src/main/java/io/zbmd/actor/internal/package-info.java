/**
 * The actor runtime's implementation: cells (mailbox, system messages, tree, links,
 * monitors), process cells, asks, timers, registry, events, metrics, fault injection.
 *
 * <p>Not an API: it may change in any release. Depends on {@code io.zbmd.actor} and
 * {@code io.zbmd.dispatch.internal}.
 */
package io.zbmd.actor.internal;
