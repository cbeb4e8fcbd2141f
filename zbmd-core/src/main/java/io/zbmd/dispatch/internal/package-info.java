/**
 * The schedulers: zbmd's work-stealing one, a ForkJoinPool one, the deterministic one, and
 * their timer services. They run {@link io.zbmd.dispatch.internal.Task}s and know nothing of
 * actors.
 *
 * <p>Not an API. Depends on JCTools, and on {@code io.zbmd.actor.Cancellable} only.
 */
package io.zbmd.dispatch.internal;
