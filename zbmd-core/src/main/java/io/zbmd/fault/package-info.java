/**
 * Fault-tolerance primitives from the design book: a {@link io.zbmd.fault.CircuitBreaker}
 * and a {@link io.zbmd.fault.PhiAccrualFailureDetector}. Both take time as an argument or
 * from an injected clock, so tests and the deterministic dispatcher drive them exactly.
 * (Fault injection is part of the actor runtime: {@link io.zbmd.actor.FaultInjection}.)
 *
 * <p>Depends on the JDK only.
 */
package io.zbmd.fault;
