package io.zbmd.supervision;

/**
 * OTP's {@code auto_shutdown}: whether a supervisor ends by itself, with reason
 * {@code shutdown}, when its significant children ({@link ChildSpec#significant()}) end for
 * good (they exit and are not restarted). A child stopped with
 * {@link Supervisor#terminateChild} does not count.
 */
public enum AutoShutdown {
    /** Never (the default). */
    NEVER,
    /** As soon as any significant child ends for good. */
    ANY_SIGNIFICANT,
    /** Once no significant child is left running. */
    ALL_SIGNIFICANT
}
