package io.zbmd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.examples.supervision.FaultInjectionExample;
import io.zbmd.examples.supervision.SupervisedCounter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SupervisionExamplesTest {
    private final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @Test
    void theSupervisedCounterLosesNoIncrement() {
        assertThat(SupervisedCounter.run(out)).isEqualTo(95);
    }

    @Test
    void theFaultInjectionExampleAccountsForEveryMessage() {
        FaultInjectionExample.Outcome outcome = FaultInjectionExample.run(out, 8);
        assertThat(outcome.unaccounted()).isZero();
        assertThat(outcome.workersAlive()).isEqualTo(100);
        assertThat(outcome.handled() + outcome.injectedDrops()).isEqualTo(10_000);
        assertThat(outcome.injectedCrashes()).isPositive();
    }
}
