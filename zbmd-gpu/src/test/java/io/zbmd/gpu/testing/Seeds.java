package io.zbmd.gpu.testing;

import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * The seeds of a property test, as zbmd-core's harness has them (its test classes are not on
 * this module's class path): a fixed sequence, so that CI runs the same cases every time,
 * unless {@code -Dzbmd.seed=N} asks for exactly one seed, which replays one failing case.
 * Every generated case derives from its seed alone, and assertion messages print it.
 */
public final class Seeds {
    /** Base of the fixed seed sequence; change it to explore new cases. */
    public static final long BASE = 0x5EED_6E33L;

    private Seeds() {}

    /**
     * @param count how many seeds to run by default ({@code -Dzbmd.cases=N} runs N instead)
     * @return the seeds, or the single one given with {@code -Dzbmd.seed}
     */
    public static Stream<Long> of(int count) {
        String replay = System.getProperty("zbmd.seed");
        if (replay != null && !replay.isBlank()) {
            return Stream.of(Long.decode(replay.trim()));
        }
        int cases = Integer.getInteger("zbmd.cases", count);
        return LongStream.range(0, cases).map(i -> mix(BASE + i)).boxed();
    }

    /** SplitMix64's finaliser: spreads consecutive integers over the seed space. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * @param seed the failing seed
     * @return how to replay it, for assertion messages
     */
    public static String replay(long seed) {
        return "seed " + seed + " (replay with -Dzbmd.seed=" + seed + ")";
    }
}
