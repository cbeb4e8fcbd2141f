/**
 * Supervision trees with OTP's semantics: {@link io.zbmd.supervision.SupervisorSpec}s and
 * {@link io.zbmd.supervision.ChildSpec}s, one-for-one, one-for-all, rest-for-one and dynamic
 * supervisors, restart intensity, ordered start and stop, introspection, and supervision
 * events. Beyond OTP: a crashed child is restarted in place, keeping its ref and mailbox,
 * optionally from a snapshot and retrying the message that crashed.
 *
 * <p>Depends on {@code io.zbmd.actor}; the implementation is in
 * {@code io.zbmd.supervision.internal}.
 */
package io.zbmd.supervision;
