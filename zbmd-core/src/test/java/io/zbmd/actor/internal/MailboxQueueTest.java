package io.zbmd.actor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The mailbox queue on its own: the bound, the order, the indices, many producers. */
class MailboxQueueTest {

    @Test
    void theBoundIsExactAndMessagesComeOutInOrder() {
        Mailbox mailbox = new Mailbox(3);
        assertThat(mailbox.isEmpty()).isTrue();
        assertThat(mailbox.poll()).isNull();
        assertThat(mailbox.offer("a")).isEqualTo(1);
        assertThat(mailbox.offer("b")).isEqualTo(2);
        assertThat(mailbox.offer("c")).isEqualTo(3);
        assertThat(mailbox.offer("d")).as("full").isZero();
        assertThat(mailbox.size()).isEqualTo(3);
        assertThat(mailbox.poll()).isEqualTo("a");
        assertThat(mailbox.offer("e")).isEqualTo(3);
        assertThat(List.of(mailbox.poll(), mailbox.poll(), mailbox.poll())).containsExactly("b", "c", "e");
        assertThat(mailbox.poll()).isNull();
        assertThat(mailbox.isEmpty()).isTrue();
        assertThat(mailbox.producerIndex()).isEqualTo(4);
        assertThat(mailbox.consumerIndex()).isEqualTo(4);
    }

    /**
     * Four producers race to fill a mailbox of 64 while one consumer drains it: every message
     * comes out once, in its producer's order, and the consumer never sees more than 64.
     */
    @Test
    @Timeout(60)
    void manyProducersOneConsumer() throws Exception {
        int producers = 4;
        int perProducer = 200_000;
        int capacity = 64;
        Mailbox mailbox = new Mailbox(capacity);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            long from = p;
            threads.add(Thread.ofPlatform().start(() -> {
                for (long i = 0; i < perProducer; i++) {
                    while (mailbox.offer(new long[] {from, i}) == 0) {
                        Thread.onSpinWait();
                    }
                }
            }));
        }
        long[] next = new long[producers];
        long received = 0;
        int largest = 0;
        while (received < (long) producers * perProducer) {
            largest = Math.max(largest, mailbox.size());
            long[] message = (long[]) mailbox.poll();
            if (message == null) {
                Thread.onSpinWait();
                continue;
            }
            assertThat(message[1]).as("order of producer %d", message[0]).isEqualTo(next[(int) message[0]]);
            next[(int) message[0]]++;
            received++;
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(mailbox.poll()).isNull();
        assertThat(mailbox.isEmpty()).isTrue();
        assertThat(largest).isLessThanOrEqualTo(capacity);
        assertThat(next).containsOnly(perProducer);
    }
}
