package io.zbmd.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.fault.CircuitBreaker.State;
import io.zbmd.fault.CircuitBreaker.Transition;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
    private final AtomicLong now = new AtomicLong();
    private final List<Transition> transitions = new ArrayList<>();
    private final CircuitBreaker breaker =
            new CircuitBreaker("device", new CircuitBreaker.Config(3, 2, Duration.ofSeconds(10)), now::get);

    CircuitBreakerTest() {
        breaker.onTransition(transitions::add);
    }

    private void fail(int times) {
        for (int i = 0; i < times; i++) {
            assertThatThrownBy(() -> breaker.call(() -> {
                throw new IOException("device lost");
            })).isInstanceOf(IOException.class);
        }
    }

    @Test
    void opensAfterTheFailureThresholdInARow() throws Exception {
        fail(2);
        assertThat(breaker.call(() -> "ok")).isEqualTo("ok"); // resets the count
        fail(2);
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        fail(1);
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(transitions).containsExactly(new Transition("device", State.CLOSED, State.OPEN));
    }

    @Test
    void anOpenCircuitRefusesCallsUntilItsTimeoutThenTriesOneAtATime() throws Exception {
        fail(3);
        now.addAndGet(Duration.ofSeconds(4).toNanos());
        assertThatThrownBy(() -> breaker.call(() -> "never"))
                .isInstanceOf(CircuitOpenException.class)
                .hasMessageContaining("circuit 'device' is open")
                .hasMessageContaining("6000 ms")
                .satisfies(e -> assertThat(((CircuitOpenException) e).retryAfterNanos())
                        .isEqualTo(Duration.ofSeconds(6).toNanos()));
        now.addAndGet(Duration.ofSeconds(6).toNanos());
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.tryAcquire()).as("a second trial while one is in flight").isFalse();
        breaker.onSuccess();
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.call(() -> "second success")).isEqualTo("second success");
        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(transitions).extracting(Transition::to).containsExactly(State.OPEN, State.HALF_OPEN, State.CLOSED);
    }

    @Test
    void aFailedTrialOpensTheCircuitAgain() {
        fail(3);
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        fail(1);
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.tryAcquire()).isFalse();
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(breaker.tryAcquire()).isTrue();
    }

    @Test
    void badLimitsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> new CircuitBreaker.Config(0, 1, Duration.ofSeconds(1)))
                .hasMessageContaining("CircuitBreaker.failureThreshold must be at least 1, got 0");
        assertThatThrownBy(() -> new CircuitBreaker.Config(1, 0, Duration.ofSeconds(1)))
                .hasMessageContaining("CircuitBreaker.successThreshold");
        assertThatThrownBy(() -> new CircuitBreaker.Config(1, 1, Duration.ZERO))
                .hasMessageContaining("CircuitBreaker.openTimeout must be positive");
    }
}
