package io.zbmd.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PhiAccrualFailureDetectorTest {
    static final long MS = 1_000_000L;

    static PhiAccrualFailureDetector detector() {
        return new PhiAccrualFailureDetector(new PhiAccrualFailureDetector.Config(8.0, 100, 3, Duration.ofMillis(10),
                Duration.ZERO, Duration.ofMillis(100)));
    }

    @Test
    void regularHeartbeatsKeepPhiLowAndSilenceRaisesIt() {
        PhiAccrualFailureDetector detector = detector();
        long t = 0;
        for (int i = 0; i < 50; i++) {
            detector.heartbeat(t);
            t += (i % 2 == 0 ? 95 : 105) * MS; // mean 100 ms, deviation 5 ms (floored at 10 ms)
        }
        long last = t - 105 * MS;
        assertThat(detector.phi(last + 100 * MS)).isLessThan(0.5);
        assertThat(detector.isAvailable(last + 110 * MS)).isTrue();
        double previous = 0;
        for (long delay = 100; delay <= 200; delay += 10) {
            double phi = detector.phi(last + delay * MS);
            assertThat(phi).as("phi grows with the delay").isGreaterThanOrEqualTo(previous);
            previous = phi;
        }
        assertThat(detector.isAvailable(last + 200 * MS)).isFalse();
    }

    @Test
    void phiFollowsTheFormula() {
        // At the mean, F = 1/2, so phi = -log10(1/2).
        assertThat(PhiAccrualFailureDetector.phi(100, 100, 10)).isCloseTo(Math.log10(2), within(1e-9));
        // Two deviations past the mean: F(2) = 0.97725, phi = -log10(0.02275) = 1.643.
        assertThat(PhiAccrualFailureDetector.phi(120, 100, 10)).isCloseTo(1.643, within(0.01));
        // Four deviations: the exact tail 1 - F(4) = 3.17e-5 gives phi 4.50; the logistic
        // approximation's tail is 1.83e-5 (phi 4.74): within 1e-4 of F, as documented.
        double phiAt4 = PhiAccrualFailureDetector.phi(140, 100, 10);
        assertThat(phiAt4).isCloseTo(4.737, within(0.001));
        assertThat(Math.abs(Math.pow(10, -phiAt4) - 3.167e-5)).isLessThan(1e-4);
    }

    @Test
    void beforeEnoughSamplesTheFirstEstimateIsUsed() {
        PhiAccrualFailureDetector detector = detector();
        assertThat(detector.phi(0)).isZero();
        detector.heartbeat(0);
        // mean 100 ms, deviation 25 ms: 200 ms after the heartbeat is four deviations late.
        assertThat(detector.phi(200 * MS)).isCloseTo(4.737, within(0.001));
    }

    @Test
    void theAcceptablePauseShiftsTheMean() {
        PhiAccrualFailureDetector patient = new PhiAccrualFailureDetector(new PhiAccrualFailureDetector.Config(8.0,
                100, 1, Duration.ofMillis(10), Duration.ofSeconds(3), Duration.ofMillis(100)));
        patient.heartbeat(0);
        patient.heartbeat(100 * MS);
        assertThat(patient.isAvailable(100 * MS + 2_000 * MS)).isTrue();
        assertThat(patient.isAvailable(100 * MS + 4_000 * MS)).isFalse();
    }

    @Test
    void badParametersAreRefusedNamingTheField() {
        assertThatThrownBy(() -> new PhiAccrualFailureDetector.Config(0, 10, 1, Duration.ofMillis(1), Duration.ZERO,
                Duration.ofMillis(1))).hasMessageContaining("PhiAccrualFailureDetector.threshold must be positive");
        assertThatThrownBy(() -> new PhiAccrualFailureDetector.Config(8, 10, 11, Duration.ofMillis(1), Duration.ZERO,
                Duration.ofMillis(1))).hasMessageContaining("PhiAccrualFailureDetector.minSamples");
        assertThatThrownBy(() -> new PhiAccrualFailureDetector.Config(8, 10, 1, Duration.ZERO, Duration.ZERO,
                Duration.ofMillis(1))).hasMessageContaining("PhiAccrualFailureDetector.minStdDeviation");
    }
}
