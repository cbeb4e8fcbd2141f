package io.zbmd.actor.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * An actor's mailbox: a bounded multi-producer, single-consumer queue of linked nodes
 * (Vyukov's MPSC queue, the shape of Pekko's {@code AbstractNodeQueue}), with two counters
 * for the bound.
 *
 * <h2>Why linked nodes</h2>
 * An array queue keeps its array (and, in JCTools, several lines of padding) for as long as
 * the actor lives: about 500 bytes for every actor that was ever sent a message. This
 * mailbox costs {@value #EMPTY_BYTES} bytes when empty (itself and one stub node), and 24
 * bytes per queued message, freed as it is handled. Most actors are idle most of the time.
 *
 * <h2>Layout</h2>
 * What producers write at every message ({@code enqueued}, {@code tail}) and what the
 * consumer writes at every message ({@code head}, {@code dequeued}) sit on different cache
 * lines, kept apart by one line of padding (superclass fields come first, as in JCTools).
 * Without it, a producer and a consumer running at once on two cores would pass that line
 * back and forth at every message: a counting actor fed by another ran five times slower.
 * Producers read the consumer's index only when they reach {@code producerLimit}, and the
 * consumer reads the producers' line only when a producer waits.
 *
 * <h2>Producers</h2>
 * A producer reserves a place by a CAS on {@code enqueued} (refused when the consumer index
 * plus the capacity is reached, so the bound is exact), then swaps its node in as the tail
 * and links the old tail to it. Between the swap and the link the message is counted but not
 * yet reachable: {@link #poll()} returns null and {@link #isEmpty()} false, and the
 * consumer's caller comes back for it (see {@code ActorCell.release}).
 *
 * <h2>Waiting producers</h2>
 * A producer outside the dispatcher may wait for room ({@code ActorRef.offer(message,
 * timeout)}): it registers in {@code waiters}, tries again, and parks. The consumer wakes
 * every waiter once the queue has drained to half its capacity, and its owner wakes them
 * when the actor ends ({@link #wakeWaiters()}), so that a burst of producers refills half a
 * mailbox per wake-up rather than one message per system call.
 */
final class Mailbox extends MailboxConsumerFields {
    /** Heap of an empty mailbox: this object (136 bytes, padding included) and its stub node (24). */
    static final int EMPTY_BYTES = 160;

    private static final VarHandle NEXT;
    private static final VarHandle TAIL;
    private static final VarHandle ENQUEUED;
    private static final VarHandle DEQUEUED;
    private static final VarHandle LIMIT;
    private static final VarHandle WAITING;
    private static final VarHandle WAITERS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            NEXT = lookup.findVarHandle(Node.class, "next", Node.class);
            TAIL = lookup.findVarHandle(MailboxProducerFields.class, "tail", Node.class);
            ENQUEUED = lookup.findVarHandle(MailboxProducerFields.class, "enqueued", long.class);
            LIMIT = lookup.findVarHandle(MailboxProducerFields.class, "producerLimit", long.class);
            DEQUEUED = lookup.findVarHandle(MailboxConsumerFields.class, "dequeued", long.class);
            WAITING = lookup.findVarHandle(MailboxConsumerFields.class, "waiting", int.class);
            WAITERS = lookup.findVarHandle(MailboxConsumerFields.class, "waiters", ConcurrentLinkedQueue.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One queued message; the consumer's current node is the stub whose item is gone. */
    static final class Node {
        volatile Node next;
        Object item;

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
        long reserved;
        long limit = producerLimit;
        do {
            reserved = enqueued;
            if (reserved >= limit) {
                limit = dequeued + capacity;
                if (reserved >= limit) {
                    return 0;
                }
                raiseLimit(limit);
            }
        } while (!ENQUEUED.weakCompareAndSet(this, reserved, reserved + 1));
        Node previous = (Node) TAIL.getAndSet(this, node);
        NEXT.setRelease(previous, node);
        // Messages queued since the consumer index was last read: at least the backlog, and
        // more when the consumer has kept up since (see ActorCell.BACKLOG).
        return (int) (reserved + 1 - (limit - capacity));
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
        head = first;
        // The old stub may already be in the old generation: unlink it from the young node
        // so that it cannot keep that node (and everything queued after it) alive.
        NEXT.setOpaque(stub, stub);
        long taken = dequeued + 1;
        DEQUEUED.setRelease(this, taken);
        if (waiting != 0 && enqueued - taken <= capacity / 2) {
            wakeWaiters();
        }
        return item;
    }

    /** @return whether no message is queued or being queued */
    boolean isEmpty() {
        return enqueued == dequeued;
    }

    /** @return the messages queued or being queued */
    int size() {
        return (int) (enqueued - dequeued);
    }

    /** @return how many places producers have reserved since the mailbox was created */
    long producerIndex() {
        return enqueued;
    }

    /** @return how many messages the consumer has taken since the mailbox was created */
    long consumerIndex() {
        return dequeued;
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

/** The fields producers write at every message, on the object's first cache line. */
abstract class MailboxProducerFields {
    final int capacity;
    volatile Mailbox.Node tail;
    /** Places reserved by producers: the producer index. */
    volatile long enqueued;
    /**
     * {@code dequeued + capacity} as a producer last read it: below it there is room without
     * reading {@code dequeued} (JCTools' producer limit). Only ever raised.
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

/** The fields the consumer writes at every message, and the rarely written waiters. */
abstract class MailboxConsumerFields extends MailboxPadding {
    /** The consumer's stub: the next message is {@code head.next}. Consumer only. */
    Mailbox.Node head;
    /** Messages taken by the consumer: the consumer index. Written by the consumer only. */
    volatile long dequeued;
    /** Producers registered in {@code waiters}: read by the consumer at every message. */
    volatile int waiting;
    volatile ConcurrentLinkedQueue<Thread> waiters;

    MailboxConsumerFields(int capacity, Mailbox.Node stub) {
        super(capacity, stub);
        this.head = stub;
    }
}
