/**
 * The actor runtime's public API: {@link io.zbmd.actor.ActorSystem}, typed
 * {@link io.zbmd.actor.ActorRef}s, {@link io.zbmd.actor.Actor}s and
 * {@link io.zbmd.actor.ProcessActor}s, links and monitors with OTP semantics, timers, the
 * registry, dead letters, events and metrics.
 *
 * <p>Depends on {@code io.zbmd.dispatch} (the choice of scheduler) only; the
 * implementation lives in {@code io.zbmd.actor.internal}, which user code must not use.
 */
package io.zbmd.actor;
