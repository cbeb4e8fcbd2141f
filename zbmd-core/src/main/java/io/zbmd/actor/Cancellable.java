package io.zbmd.actor;

/** Something scheduled that can still be called off, such as a timer. Thread-safe. */
public interface Cancellable {

    /**
     * Calls it off. Has no effect if it already ran or was cancelled.
     *
     * @return true if this call cancelled it
     */
    boolean cancel();
}
