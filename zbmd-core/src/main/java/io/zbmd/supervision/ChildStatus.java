package io.zbmd.supervision;

/** Where a child stands, as OTP's {@code which_children} tells it: a pid, {@code restarting} or {@code undefined}. */
public enum ChildStatus {
    /** Running (or restarting in place after a crash, with the same ref). */
    RUNNING,
    /** Its restart failed to start; the supervisor tries again (OTP's {@code restarting}). */
    RESTARTING,
    /** Not running, its spec kept: terminated, ended without a restart, or never started (OTP's {@code undefined}). */
    NOT_RUNNING
}
