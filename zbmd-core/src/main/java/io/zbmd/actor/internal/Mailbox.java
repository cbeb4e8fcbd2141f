package io.zbmd.actor.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * An actor's mailbox: a bounded multi-producer, single-consumer queue of linked nodes, each
 * numbered: the shape of Vyukov's MPSC queue (and of Pekko's {@code AbstractNodeQueue}), with
 * the bound kept by the numbers.
 *
 * <h2>Why linked nodes</h2>
 * An array queue keeps its array (and, in JCTools, several lines of padding) for as long as
 * the actor lives: about 500 bytes for every actor that was ever sent a message. This
 * mailbox costs {@value #EMPTY_BYTES} bytes when empty (itself and one stub node), and 32
 * bytes per queued message, freed as it is handled. Most actors are idle most of the time.
 *
 * <h2>Producers</h2>
 * A producer reads the tail, numbers its node one past it, and swings the tail to its node
 * with one CAS (refused when that number would pass the consumer's plus the capacity, so the
 * bound is exact); then it links the old tail to its node. One atomic per message, as an
 * array queue's CAS on its producer index. Between the CAS and the link the message is
 * counted but not yet reachable: {@link #poll()} returns null and {@link #isEmpty()} false,
 * and the consumer's caller comes back for it (see {@code ActorCell.release}).
 *
 * <h2>Layout</h2>
 * The consumer's index is the number of its current stub node, so the consumer writes one
 * field per message ({@code head}) and the producers one ({@code tail}); the two sit a cache
 * line apart (superclass fields come first, as in JCTools). Without the padding, a producer
 * and a consumer running at once on two cores passed that line back and forth at every
 * message. Producers read {@code head} only when they reach {@code producerLimit}, and the
 * consumer reads the producers' line only when a producer waits.
 *
 * <h2>Waiting producers</h2>
 * A producer outside the dispatcher may wait for room ({@code ActorRef.offer(message,
 * timeout)}): it registers in {@code waiters}, tries again, and parks. Once the queue has
 * drained to half its capacity the consumer wakes one waiter, which, having queued its
 * message, wakes the next while there is room: the consumer pays for one wake-up per half
 * mailbox, and the producers for the rest. The owner wakes them all when the actor ends.
 */
final class Mailbox extends MailboxConsumerFields {
    /**
     * Heap of an empty mailbox with compressed references: this object (112 bytes, its line of
     * padding included) and its stub node (32).
     */
    static final int EMPTY_BYTES = 144;

    private static final VarHandle NEXT;
    private static final VarHandle TAIL;
    private static final VarHandle HEAD;
    private static final VarHandle LIMIT;
    private static final VarHandle WAITING;
    private static final VarHandle WAITERS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            NEXT = lookup.findVarHandle(Node.class, "next", Node.class);
            TAIL = lookup.findVarHandle(MailboxProducerFields.class, "tail", Node.class);
            LIMIT = lookup.findVarHandle(MailboxProducerFields.class, "producerLimit", long.class);
            HEAD = lookup.findVarHandle(MailboxConsumerFields.class, "head", Node.class);
            WAITING = lookup.findVarHandle(MailboxConsumerFields.class, "waiting", int.class);
            WAITERS = lookup.findVarHandle(MailboxConsumerFields.class, "waiters", ConcurrentLinkedQueue.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * One queued message, numbered from 1 in queueing order; the consumer's current node is the
     * stub whose item is gone, and its number is how many messages have been taken.
     */
    static final class Node {
        volatile Node next;
        Object item;
        /** Written before the CAS that publishes the node. */
        long number;

        Node(Object item) {
            this.item = item;
        }
    }

    /** @param capacity the most messages queued at once, at least 1 */
    Mailbox(int capacity) {
        super(capacity, new Node(null));
    }

    /**
     * Queues a message if there is room. Any thread.
     *
     * @return at least 1, and no fewer than the messages queued with this one, or 0 if the
     *     mailbox was full
     */
    int offer(Object item) {
        Node node = new Node(item);
        long limit = producerLimit;
        for (;;) {
            Node last = tail;
            long number = last.number + 1;
            if (number > limit) {
                limit = head.number + capacity;
                if (number > limit) {
                    return 0;
                }
                raiseLimit(limit);
            }
            node.number = number;
            if (TAIL.weakCompareAndSet(this, last, node)) {
                NEXT.setRelease(last, node);
                // Messages queued since the consumer index was last read: at least the
                // backlog, and more when the consumer has kept up since (see ActorCell.BACKLOG).
                return (int) (number - (limit - capacity));
            }
        }
    }

    private void raiseLimit(long limit) {
        long seen = producerLimit;
        while (seen < limit && !LIMIT.weakCompareAndSet(this, seen, limit)) {
            seen = producerLimit;
        }
    }

    /**
     * Takes the oldest message. Consumer only (one thread at a time).
     *
     * @return the message, or null if none is reachable yet
     */
    Object poll() {
        Node stub = head;
        Node first = (Node) NEXT.getAcquire(stub);
        if (first == null) {
            return null;
        }
        Object item = first.item;
        first.item = null;
        HEAD.setRelease(this, first);
        // The old stub may already be in the old generation: unlink it from the young node
        // so that it cannot keep that node (and everything queued after it) alive.
        NEXT.setOpaque(stub, stub);
        if (waiting != 0 && tail.number - first.number <= capacity / 2) {
            wakeOne();
        }
        return item;
    }

    /** @return whether no message is queued or being queued (the tail is the stub: no node to read) */
    boolean isEmpty() {
        return tail == head;
    }

    /** @return the messages queued or being queued */
    int size() {
        return (int) (tail.number - head.number);
    }

    /** @return whether there is room for another message (a producer about to wake another asks) */
    boolean hasRoom() {
        return tail.number - head.number < capacity;
    }

    /** @return how many places producers have reserved since the mailbox was created */
    long producerIndex() {
        return tail.number;
    }

    /** @return how many messages the consumer has taken since the mailbox was created */
    long consumerIndex() {
        return head.number;
    }

    /**
     * Registers the calling thread as waiting for room. The caller then tries to offer again
     * before it parks, so that a wake-up sent between its failed offer and this call is not
     * lost, and calls {@link #deregister()} when it stops waiting.
     */
    void register() {
        ConcurrentLinkedQueue<Thread> queue = waiters;
        if (queue == null) {
            WAITERS.compareAndSet(this, null, new ConcurrentLinkedQueue<Thread>());
            queue = waiters;
        }
        queue.add(Thread.currentThread());
        WAITING.getAndAdd(this, 1); // a full fence before the caller's next offer
    }

    void deregister() {
        WAITING.getAndAdd(this, -1);
        waiters.remove(Thread.currentThread());
    }

    /** @return whether a producer is waiting for room */
    boolean hasWaiters() {
        return waiting != 0;
    }

    /** Unparks the longest waiting producer; it wakes the next if it leaves room. Any thread. */
    void wakeOne() {
        ConcurrentLinkedQueue<Thread> queue = waiters;
        Thread first = queue == null ? null : queue.peek();
        if (first != null) {
            LockSupport.unpark(first);
        }
    }

    /** Unparks every waiting producer; each looks at the mailbox again. Any thread. */
    void wakeWaiters() {
        ConcurrentLinkedQueue<Thread> queue = waiters;
        if (queue != null) {
            for (Thread waiter : queue) {
                LockSupport.unpark(waiter);
            }
        }
    }
}

/** The field producers write at every message, on the object's first cache line. */
abstract class MailboxProducerFields {
    final int capacity;
    volatile Mailbox.Node tail;
    /**
     * The consumer's index plus the capacity, as a producer last read it: below it there is
     * room without reading {@code head}, which the consumer writes at every message
     * (JCTools' producer limit). Only ever raised.
     */
    volatile long producerLimit;

    MailboxProducerFields(int capacity, Mailbox.Node stub) {
        this.capacity = capacity;
        this.producerLimit = capacity;
        this.tail = stub;
    }
}

/** A cache line between the producers' fields and the consumer's. */
abstract class MailboxPadding extends MailboxProducerFields {
    long p00, p01, p02, p03, p04, p05, p06, p07;

    MailboxPadding(int capacity, Mailbox.Node stub) {
        super(capacity, stub);
    }
}

/** The field the consumer writes at every message, and the rarely written waiters. */
abstract class MailboxConsumerFields extends MailboxPadding {
    /** The consumer's stub: the next message is {@code head.next}. Written by the consumer only. */
    volatile Mailbox.Node head;
    /** Producers registered in {@code waiters}: read by the consumer at every message. */
    volatile int waiting;
    volatile ConcurrentLinkedQueue<Thread> waiters;

    MailboxConsumerFields(int capacity, Mailbox.Node stub) {
        super(capacity, stub);
        this.head = stub;
    }
}
