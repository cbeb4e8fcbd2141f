package io.zbmd.gpu.testing;

import static org.assertj.core.api.Assertions.fail;

import io.zbmd.gpu.cpu.GemmKernel;
import io.zbmd.testing.Seeds;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * One SGEMM problem for property tests: shape, transposes, scalars, offsets and leading
 * dimensions drawn from a seed, its matrices in native segments, and a naive reference in
 * double precision to check a kernel's result against.
 *
 * <p>C's segment holds the m × n matrix with gaps (leading dimension above n, an offset)
 * filled with a sentinel that no kernel may overwrite; with {@code beta == 0} the matrix
 * itself starts as NaN, which no kernel may read.
 *
 * @param seed what the case was drawn from, printed in failures
 */
public record GemmCase(long seed, boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
        long aOffset, int lda, long bOffset, int ldb, long cOffset, int ldc) {
    /** Stands in the gaps of C; a kernel that writes outside the matrix changes it. */
    public static final float SENTINEL = 12345.5f;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    /**
     * @param seed the case's seed
     * @param maxDimension largest m, n or k
     * @return a case with every parameter drawn from {@code seed}
     */
    public static GemmCase random(long seed, int maxDimension) {
        SplittableRandom random = new SplittableRandom(seed);
        boolean transA = random.nextBoolean();
        boolean transB = random.nextBoolean();
        int m = dimension(random, maxDimension);
        int n = dimension(random, maxDimension);
        int k = dimension(random, maxDimension);
        float alpha = pick(random, 1f, -1f, 0.5f, (float) random.nextDouble(-2, 2), 0f);
        float beta = pick(random, 0f, 0f, 1f, -0.5f, (float) random.nextDouble(-2, 2));
        int lda = (transA ? m : k) + gap(random);
        int ldb = (transB ? k : n) + gap(random);
        int ldc = n + gap(random);
        return new GemmCase(seed, transA, transB, m, n, k, alpha, beta, random.nextInt(18), lda, random.nextInt(18),
                ldb, random.nextInt(18), ldc);
    }

    /** Small sizes and the edges of a 6×32 tile more often than the rest. */
    private static int dimension(SplittableRandom random, int max) {
        return switch (random.nextInt(4)) {
            case 0 -> 1 + random.nextInt(Math.min(max, 8));
            case 1 -> Math.min(max, pick(random, 5, 6, 7, 31, 32, 33));
            default -> 1 + random.nextInt(max);
        };
    }

    private static int gap(SplittableRandom random) {
        return random.nextBoolean() ? 0 : random.nextInt(1, 9);
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom random, T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    /** @return the case with other scalars */
    public GemmCase withScalars(float newAlpha, float newBeta) {
        return new GemmCase(seed, transA, transB, m, n, k, newAlpha, newBeta, aOffset, lda, bOffset, ldb, cOffset,
                ldc);
    }

    /** @return the case with other sizes (leading dimensions grown where needed) */
    public GemmCase withShape(int newM, int newN, int newK) {
        return new GemmCase(seed, transA, transB, newM, newN, newK, alpha, beta, aOffset,
                Math.max(lda, transA ? newM : newK), bOffset, Math.max(ldb, transB ? newK : newN), cOffset,
                Math.max(ldc, newN));
    }

    /** The matrices of one case, in segments of an arena. */
    public record Data(MemorySegment a, MemorySegment b, MemorySegment c) {
        /** @return a copy of C's whole segment */
        public float[] cFloats() {
            return c.toArray(FLOAT);
        }
    }

    /**
     * @param arena where to allocate
     * @return A and B drawn from the seed (uniform in [-1, 1)), C as well, or NaN if
     *     {@code beta == 0}, with the sentinel in C's gaps
     */
    public Data allocate(Arena arena) {
        SplittableRandom random = new SplittableRandom(~seed);
        MemorySegment a = fill(arena.allocate(span(aOffset, transA ? k : m, transA ? m : k, lda) * 4L, 4), random);
        MemorySegment b = fill(arena.allocate(span(bOffset, transB ? n : k, transB ? k : n, ldb) * 4L, 4), random);
        MemorySegment c = arena.allocate(span(cOffset, m, n, ldc) * 4L, 4);
        for (long i = 0; i < c.byteSize() / 4; i++) {
            c.setAtIndex(FLOAT, i, SENTINEL);
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                c.setAtIndex(FLOAT, cOffset + (long) i * ldc + j, beta == 0f ? Float.NaN
                        : (float) random.nextDouble(-1, 1));
            }
        }
        return new Data(a, b, c);
    }

    /** Floats a stored matrix spans from the segment's start, plus a little slack after it. */
    private static long span(long offset, int rows, int cols, int ld) {
        return offset + (long) Math.max(rows, 1) * ld + 3;
    }

    private static MemorySegment fill(MemorySegment segment, SplittableRandom random) {
        for (long i = 0; i < segment.byteSize() / 4; i++) {
            segment.setAtIndex(FLOAT, i, (float) random.nextDouble(-1, 1));
        }
        return segment;
    }

    /** Runs the case on a kernel. */
    public void run(GemmKernel kernel, Data data) {
        kernel.sgemm(transA, transB, m, n, k, alpha, data.a(), aOffset, lda, data.b(), bOffset, ldb, beta, data.c(),
                cOffset, ldc);
    }

    /**
     * Checks a kernel's C against the double-precision reference, element by element, within
     * {@code (2k + 8)·2⁻²⁴} of the sum of the magnitudes of the terms (the rounding-error bound
     * of a float dot product, doubled): a missed or repeated block of k, a wrong element or a
     * wrong scalar is far outside it. Also checks that the gaps still hold the sentinel.
     *
     * @param before C's segment before the call
     * @param data the case's matrices after the call
     */
    public void assertMatchesReference(float[] before, Data data) {
        double unit = Math.scalb(1.0, -24);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                double magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double product = (double) a(data, i, p) * b(data, j, p);
                    sum += product;
                    magnitude += Math.abs(product);
                }
                long at = cOffset + (long) i * ldc + j;
                double old = beta == 0f ? 0 : before[(int) at];
                double expected = alpha * sum + beta * old;
                double tolerance = (2.0 * k + 8) * unit * (Math.abs(alpha) * magnitude + Math.abs(beta * old))
                        + Float.MIN_NORMAL;
                float actual = data.c().getAtIndex(FLOAT, at);
                if (!(Math.abs(actual - expected) <= tolerance)) {
                    fail("C(%d, %d) = %s, expected %s ± %s in %s, %s", i, j, actual, expected, tolerance, this,
                            Seeds.replay(seed));
                }
            }
        }
        assertGapsUntouched(data);
    }

    /** Checks that every float of C's segment outside the m × n matrix still holds the sentinel. */
    public void assertGapsUntouched(Data data) {
        float[] c = data.cFloats();
        for (int at = 0; at < c.length; at++) {
            long relative = at - cOffset;
            boolean inside = relative >= 0 && relative / ldc < m && relative % ldc < n;
            if (!inside && c[at] != SENTINEL) {
                fail("float %d of C's segment, outside the matrix, was written: %s in %s, %s", at, c[at], this,
                        Seeds.replay(seed));
            }
        }
    }

    private float a(Data data, int i, int p) {
        return data.a().getAtIndex(FLOAT, aOffset + (transA ? (long) p * lda + i : (long) i * lda + p));
    }

    private float b(Data data, int j, int p) {
        return data.b().getAtIndex(FLOAT, bOffset + (transB ? (long) j * ldb + p : (long) p * ldb + j));
    }
}
