/**
 * Which scheduler runs the actors ({@link io.zbmd.dispatch.DispatcherKind}) and the
 * controls of the deterministic one ({@link io.zbmd.dispatch.DeterministicScheduler}).
 *
 * <p>Depends on nothing else in zbmd.
 */
package io.zbmd.dispatch;
