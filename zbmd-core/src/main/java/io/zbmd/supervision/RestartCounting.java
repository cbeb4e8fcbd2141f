package io.zbmd.supervision;

/**
 * Which restarts count against a supervisor's intensity ({@link SupervisorSpec#intensity()}
 * restarts within {@link SupervisorSpec#period()}).
 *
 * <p>OTP counts every restart: a supervisor is meant for failures that are rare, and a child
 * restarted more often than the intensity allows is taken to be in a restart loop. That
 * reading breaks down for a child whose failures are a share of its work (a flaky device, a
 * lossy link, injected faults): its restarts per second grow with its throughput, so the
 * faster it works, the sooner a healthy child is given up on. {@link #UNRECOVERED} keeps the
 * intensity for what it is meant to catch, restart loops, by counting a restart only until
 * the restarted child has shown that it works again.
 */
public enum RestartCounting {
    /** Every restart counts, as in OTP (the default). */
    EVERY_RESTART,
    /**
     * A restart counts until the child it was for has handled a message to the end (an actor:
     * one message handled without crashing; a process actor: one message taken and the next
     * asked for). From then on the restarts that child's failures caused no longer count. A
     * child that crashes while starting, or on every message, or that handles nothing, is
     * counted as OTP counts it; one that crashes on a share of its messages, however many per
     * second, never reaches the intensity.
     */
    UNRECOVERED
}
