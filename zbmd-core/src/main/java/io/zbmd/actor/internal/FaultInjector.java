package io.zbmd.actor.internal;

import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.FaultInjection;
import io.zbmd.actor.InjectedFault;
import java.util.SplittableRandom;

/**
 * Applies a {@link FaultInjection}: decides, from one seeded generator, whether a send is
 * dropped or delayed and whether handling a message crashes first. Exists only when
 * injection is on; the runtime's hot paths test a null field otherwise.
 *
 * <p>The generator is used under a lock: with several workers the order of draws follows
 * the interleaving (a run is then reproducible in rates, not in detail); under the
 * deterministic dispatcher it replays exactly.
 */
final class FaultInjector {
    private final FaultInjection config;
    private final Runtime runtime;
    private final SplittableRandom random;

    FaultInjector(FaultInjection config, Runtime runtime, SplittableRandom random) {
        this.config = config;
        this.runtime = runtime;
        this.random = random;
    }

    private synchronized double draw() {
        return random.nextDouble();
    }

    private synchronized long drawDelayNanos() {
        return random.nextLong(config.maxDelay().toNanos() + 1);
    }

    /** @return true if the send was dropped or deferred (the caller must not queue it) */
    boolean interceptSend(ActorCell<?> target, Object message) {
        if (target.faultExempt) {
            return false;
        }
        if (config.dropRate() > 0 && draw() < config.dropRate()) {
            runtime.deadLetter(target.path(), message, DeadLetterReason.INJECTED_DROP);
            return true;
        }
        if (config.delayRate() > 0 && draw() < config.delayRate()) {
            runtime.metrics.injectedDelay();
            runtime.timers.schedule(drawDelayNanos(), () -> {
                DeadLetterReason refused = target.enqueue(message);
                if (refused != null) {
                    runtime.deadLetter(target.path(), message, refused);
                }
            });
            return true;
        }
        return false;
    }

    /** Throws an {@link InjectedFault} if this message's handling is to crash. */
    void beforeHandle(ActorCell<?> cell, Object message) {
        if (!cell.faultExempt && config.crashRate() > 0 && draw() < config.crashRate()) {
            throw new InjectedFault("injected crash of " + cell.path() + " before handling a "
                    + message.getClass().getSimpleName());
        }
    }
}
