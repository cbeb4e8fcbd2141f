package io.zbmd.actor;

import java.util.Map;

/**
 * A snapshot of the runtime's counters, from {@link ActorSystem#metrics()}. Counters are
 * read one after another, so under load they may be a few events apart from each other.
 *
 * @param actorsAlive actors spawned and not yet ended
 * @param actorsSpawned actors spawned since the system started
 * @param actorsTerminated actors ended since the system started
 * @param messagesProcessed messages handed to handlers (signals included)
 * @param deadLetters dead letters by reason, every reason present
 * @param mailboxHighWaterMark the largest queue length seen at the start of a turn, over
 *     all actors
 * @param injectedCrashes crashes caused by {@link FaultInjection} (injected drops are the
 *     dead letters with reason {@link DeadLetterReason#INJECTED_DROP})
 * @param injectedDelays messages delivered late by {@link FaultInjection}
 * @param pendingTimers timers, ask timeouts and delayed sends scheduled and not yet run or
 *     cancelled (a number that keeps growing is a leak)
 */
public record RuntimeMetrics(
        long actorsAlive,
        long actorsSpawned,
        long actorsTerminated,
        long messagesProcessed,
        Map<DeadLetterReason, Long> deadLetters,
        int mailboxHighWaterMark,
        long injectedCrashes,
        long injectedDelays,
        int pendingTimers) {

    public RuntimeMetrics {
        deadLetters = Map.copyOf(deadLetters);
    }

    /** @return dead letters of every reason together */
    public long deadLettersTotal() {
        return deadLetters.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * @param reason a reason
     * @return dead letters with that reason
     */
    public long deadLetters(DeadLetterReason reason) {
        return deadLetters.getOrDefault(reason, 0L);
    }
}
