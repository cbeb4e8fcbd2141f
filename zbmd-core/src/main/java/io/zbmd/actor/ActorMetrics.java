package io.zbmd.actor;

/**
 * One actor's counters, from {@link ActorSystem#metricsOf(ActorRef)}.
 *
 * @param alive whether the actor has not ended
 * @param messagesProcessed messages and signals it has handled
 * @param mailboxSize messages queued now
 * @param mailboxHighWaterMark the largest queue length seen at the start of one of its turns
 * @param mailboxCapacity its mailbox bound
 */
public record ActorMetrics(
        boolean alive, long messagesProcessed, int mailboxSize, int mailboxHighWaterMark, int mailboxCapacity) {}
