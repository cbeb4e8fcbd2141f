package io.zbmd.actor;

import io.zbmd.actor.internal.Runtime;
import io.zbmd.dispatch.internal.Dispatcher;

/** Test access to a system's runtime (tests of the scheduler itself need its dispatcher). */
public final class RuntimeAccess {
    private final Runtime runtime;

    RuntimeAccess(ActorSystem system) {
        this.runtime = system.runtime();
    }

    /** @return the runtime of {@code system}, for tests of the runtime's own package */
    public static Runtime runtimeOf(ActorSystem system) {
        return system.runtime();
    }

    Dispatcher dispatcher() {
        return runtime.dispatcher();
    }
}
