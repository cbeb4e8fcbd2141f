package io.zbmd.ml.data;

import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * Seeds for this package's property tests: a fixed sequence, so every run checks the same
 * cases, or exactly one seed given with {@code -Dzbmd.seed=N} to replay a failure. Each case
 * derives everything from its seed, and assertion messages print {@link #replay(long)}.
 * (zbmd-core has the same harness in its test sources, which this module cannot see.)
 */
final class TestSeeds {
    private static final long BASE = 0xDA7A_2026L;

    private TestSeeds() {}

    /** @return {@code count} fixed seeds ({@code -Dzbmd.cases} overrides), or the replayed one */
    static Stream<Long> of(int count) {
        String replayed = System.getProperty("zbmd.seed");
        if (replayed != null && !replayed.isBlank()) {
            return Stream.of(Long.decode(replayed.trim()));
        }
        int cases = Integer.getInteger("zbmd.cases", count);
        // Consecutive integers through SplitMix64's finaliser, so nearby cases differ in every bit.
        return LongStream.range(0, cases).map(i -> {
            long z = BASE + i;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }).boxed();
    }

    /** @return "seed N (replay with -Dzbmd.seed=N)" */
    static String replay(long seed) {
        return "seed " + seed + " (replay with -Dzbmd.seed=" + seed + ")";
    }
}
