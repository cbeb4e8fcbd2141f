package io.zbmd.actor;

import java.io.Serial;

/**
 * Thrown by a supervised child's factory or {@code onStart} to decline to start, as an OTP
 * child's start function returns {@code ignore}: the supervisor keeps the child, not running
 * ({@code undefined} in OTP's {@code which_children}; a temporary child is forgotten), and
 * goes on with the others. Not a failure: no crash report, no restart. Only meaningful for
 * supervised actors; a process actor has no start of its own to decline.
 */
public final class IgnoreStart extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param why why the child does not start, for logs */
    public IgnoreStart(String why) {
        super(why, null, false, false);
    }
}
