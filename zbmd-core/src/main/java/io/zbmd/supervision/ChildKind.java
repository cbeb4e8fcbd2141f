package io.zbmd.supervision;

/** Whether a child is a worker or a supervisor (it changes the default shutdown). */
public enum ChildKind {
    /** Does the work; default shutdown 5000 ms. */
    WORKER,
    /** Supervises others; default shutdown infinity, so that it can stop its own tree. */
    SUPERVISOR
}
