package io.zbmd.testing;

import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * The seeds of a property test: a fixed base (so that CI runs the same cases every time)
 * unless {@code -Dzbmd.seed=N} asks for exactly one seed, which replays one failing case.
 * Every generated case derives from its seed alone, and assertion messages print it.
 *
 * <pre>{@code
 * static Stream<Long> seeds() { return Seeds.of(200); }
 *
 * @ParameterizedTest(name = "seed {0}")
 * @MethodSource("seeds")
 * void agreesWithTheModel(long seed) { ... }
 * }</pre>
 *
 * (Why not jqwik: see DEPENDENCIES.md in the design notes; this is the small seeded
 * harness that replaces it.)
 */
public final class Seeds {
    /** Base of the fixed seed sequence; change it to explore new cases. */
    public static final long BASE = 0x5EED_2026L;

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
