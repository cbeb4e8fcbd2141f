package io.zbmd.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.testing.Seeds;
import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Vector API kernels and the scalar kernels compute the same results, kernel by kernel,
 * on random inputs whose lengths are not multiples of the vector width (so the tails run
 * too). Vector reductions add in a different order, so float results agree to a relative
 * 1e-5; integer outputs (argmax, dropout masks) and conversions agree exactly.
 */
class LanesAgreementTest {
    private static final double TOLERANCE = 1e-5;

    static CpuBackend vector;
    static CpuBackend scalar;

    @BeforeAll
    static void start() {
        CpuConfig config = CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20);
        vector = CpuBackend.create(config.withVectorApi(true));
        scalar = CpuBackend.create(config.withVectorApi(false));
        assertThat(vector.device().capabilities()).contains("lanes:" + "vector-api-" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
        assertThat(scalar.device().capabilities()).contains("lanes:scalar");
    }

    @AfterAll
    static void stop() {
        vector.close();
        scalar.close();
    }

    static Stream<Long> seeds() {
        return Seeds.of(6);
    }

    @FunctionalInterface
    interface Kernel {
        void run(Backend backend, DeviceBuffer[] buffers);
    }

    /** Runs {@code kernel} on both backends from the same buffers, then compares every buffer. */
    private static void agree(String name, long seed, float[][] buffers, Set<Integer> exact, Kernel kernel) {
        float[][] v = run(vector, buffers, kernel);
        float[][] s = run(scalar, buffers, kernel);
        for (int b = 0; b < buffers.length; b++) {
            for (int i = 0; i < buffers[b].length; i++) {
                String where = String.format("%s, buffer %d [%d], %s", name, b, i, Seeds.replay(seed));
                if (exact.contains(b)) {
                    assertThat(Float.floatToRawIntBits(v[b][i])).as(where).isEqualTo(Float.floatToRawIntBits(s[b][i]));
                } else {
                    double scale = Math.max(1, Math.abs(s[b][i]));
                    assertThat((double) v[b][i]).as(where + " vector vs scalar")
                            .isCloseTo(s[b][i], within(TOLERANCE * scale));
                }
            }
        }
    }

    private static float[][] run(Backend backend, float[][] init, Kernel kernel) {
        DeviceBuffer[] buffers = new DeviceBuffer[init.length];
        float[][] out = new float[init.length][];
        try {
            for (int b = 0; b < init.length; b++) {
                buffers[b] = backend.allocate(Math.max(1, init[b].length));
                backend.upload(init[b], 0, buffers[b], 0, init[b].length);
            }
            kernel.run(backend, buffers);
            for (int b = 0; b < init.length; b++) {
                out[b] = new float[init[b].length];
                backend.download(buffers[b], 0, out[b], 0, init[b].length);
            }
        } finally {
            for (DeviceBuffer buffer : buffers) {
                if (buffer != null) {
                    buffer.close();
                }
            }
        }
        return out;
    }

    private static float[] random(SplittableRandom r, int n, double low, double high) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (low + (high - low) * r.nextDouble());
        }
        return v;
    }

    /** Integers stored bit for bit in a float buffer (labels, indices). */
    private static float[] ints(SplittableRandom r, int n, int bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Float.intBitsToFloat(r.nextInt(bound));
        }
        return v;
    }

    private static int odd(SplittableRandom r) {
        return 1 + 2 * r.nextInt(700);
    }

    /**
     * An optimizer step into second buffers (double buffering) writes bit for bit what the
     * step in place writes, and leaves the old state as it was, on both lane kinds.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void optimizerStepsIntoSecondBuffersEqualStepsInPlace(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = odd(r);
        long t = 1 + r.nextInt(100);
        float[][] state = {random(r, n, -1, 1), random(r, n, -1, 1), random(r, n, -0.1, 0.1), random(r, n, 0, 0.1)};
        float[] zeros = new float[n];
        for (CpuBackend backend : new CpuBackend[] {vector, scalar}) {
            float[][] inPlace = run(backend, state, (b, buf) -> b.adamStep(n, 0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, false,
                    t, InOut.inPlace(buf[0], 0), buf[1], 0, InOut.inPlace(buf[2], 0), InOut.inPlace(buf[3], 0)));
            float[][] twoBuffers = run(backend, new float[][] {state[0], state[1], state[2], state[3], zeros, zeros,
                zeros}, (b, buf) -> b.adamStep(n, 0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, false, t,
                        new InOut(buf[0], 0, buf[4], 0), buf[1], 0, new InOut(buf[2], 0, buf[5], 0),
                        new InOut(buf[3], 0, buf[6], 0)));
            for (int b = 0; b < 4; b++) {
                assertThat(twoBuffers[b]).as("adam leaves old state %d, %s", b, Seeds.replay(seed)).isEqualTo(state[b]);
            }
            assertThat(new float[][] {twoBuffers[4], twoBuffers[5], twoBuffers[6]}).as("adam, %s", Seeds.replay(seed))
                    .isEqualTo(new float[][] {inPlace[0], inPlace[2], inPlace[3]});

            float[][] sgdInPlace = run(backend, new float[][] {state[0], state[1], state[2]},
                    (b, buf) -> b.sgdStep(n, 0.1f, 0.9f, 0.01f, true, InOut.inPlace(buf[0], 0), buf[1], 0,
                            InOut.inPlace(buf[2], 0)));
            float[][] sgdTwoBuffers = run(backend, new float[][] {state[0], state[1], state[2], zeros, zeros},
                    (b, buf) -> b.sgdStep(n, 0.1f, 0.9f, 0.01f, true, new InOut(buf[0], 0, buf[3], 0), buf[1], 0,
                            new InOut(buf[2], 0, buf[4], 0)));
            assertThat(new float[][] {sgdTwoBuffers[0], sgdTwoBuffers[2]}).as("sgd leaves old state")
                    .isEqualTo(new float[][] {state[0], state[2]});
            assertThat(new float[][] {sgdTwoBuffers[3], sgdTwoBuffers[4]}).as("sgd, %s", Seeds.replay(seed))
                    .isEqualTo(new float[][] {sgdInPlace[0], sgdInPlace[2]});
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void elementWise(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (UnaryOp op : UnaryOp.values()) {
            int n = odd(r);
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT;
            float[] x = random(r, n, positive ? 0.01 : -6, 6);
            agree("unary " + op, seed, new float[][] {x, new float[n]}, Set.of(),
                    (b, buf) -> b.unary(op, n, buf[0], 0, buf[1], 0));
            // y = op(x) from the scalar path, so that both backward passes see the same y
            float[][] forward = run(scalar, new float[][] {x, new float[n]}, (b, buf) -> b.unary(op, n, buf[0], 0,
                    buf[1], 0));
            agree("unary backward " + op, seed, new float[][] {x, forward[1], random(r, n, -1, 1), random(r, n, -1, 1)},
                    Set.of(), (b, buf) -> b.unaryBackward(op, n, buf[0], 0, buf[1], 0, buf[2], 0, buf[3], 0));
        }
        for (BinaryOp op : BinaryOp.values()) {
            int n = odd(r);
            agree("binary " + op, seed, new float[][] {random(r, n, -3, 3), random(r, n, 0.5, 3), new float[n]},
                    Set.of(), (b, buf) -> b.binary(op, new int[] {n}, buf[0], 0, new long[] {1}, buf[1], 0,
                            new long[] {1}, buf[2], 0, new long[] {1}));
            int rows = 1 + r.nextInt(20);
            int cols = odd(r) % 97;
            agree("broadcast " + op, seed, new float[][] {random(r, rows * cols, -3, 3), random(r, cols, 0.5, 3),
                new float[rows * cols]}, Set.of(), (b, buf) -> b.binary(op, new int[] {rows, cols}, buf[0], 0,
                        new long[] {cols, 1}, buf[1], 0, new long[] {0, 1}, buf[2], 0, new long[] {cols, 1}));
        }
        int n = odd(r);
        agree("axpy, scale", seed, new float[][] {random(r, n, -1, 1), random(r, n, -1, 1)}, Set.of(), (b, buf) -> {
            b.axpy(n, 0.37f, buf[0], 0, buf[1], 0);
            b.scale(n, -1.5f, buf[1], 0);
        });
        float[] x = random(r, n, -2, 2);
        double sv = sumOfSquares(vector, x);
        double ss = sumOfSquares(scalar, x);
        assertThat(sv).isCloseTo(ss, within(1e-6 * Math.max(1, ss)));
        long dropSeed = r.nextLong();
        agree("dropout", seed, new float[][] {x, new float[n], new float[n]}, Set.of(1, 2),
                (b, buf) -> b.dropout(n, 0.3f, dropSeed, buf[0], 0, buf[1], 0, buf[2]));
    }

    private static double sumOfSquares(Backend backend, float[] x) {
        double[] result = new double[1];
        run(backend, new float[][] {x}, (b, buf) -> result[0] = b.sumOfSquares(x.length, buf[0], 0));
        return result[0];
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void reductionsAndSoftmax(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 1 + r.nextInt(40);
        int cols = 1 + r.nextInt(130);
        float[] x = random(r, rows * cols, -4, 4);
        for (ReduceOp op : ReduceOp.values()) {
            agree("reduce rows " + op, seed, new float[][] {x, new float[rows], new float[rows]}, Set.of(2),
                    (b, buf) -> b.reduce(op, new int[] {rows, cols}, buf[0], 0, new long[] {cols, 1}, buf[1], 0,
                            new long[] {1, 0}, false, op == ReduceOp.MAX ? buf[2] : null));
            agree("reduce columns " + op, seed, new float[][] {x, random(r, cols, -1, 1)}, Set.of(),
                    (b, buf) -> b.reduce(op, new int[] {rows, cols}, buf[0], 0, new long[] {cols, 1}, buf[1], 0,
                            new long[] {0, 1}, op == ReduceOp.SUM, null));
        }
        agree("argmax", seed, new float[][] {x, new float[rows]}, Set.of(1),
                (b, buf) -> b.argmaxRows(rows, cols, buf[0], 0, buf[1], 0));
        for (boolean log : new boolean[] {false, true}) {
            float[][] y = run(scalar, new float[][] {x, new float[x.length]},
                    (b, buf) -> b.softmax(rows, cols, log, buf[0], 0, buf[1], 0));
            agree("softmax log=" + log, seed, new float[][] {x, new float[x.length]}, Set.of(),
                    (b, buf) -> b.softmax(rows, cols, log, buf[0], 0, buf[1], 0));
            agree("softmax backward log=" + log, seed, new float[][] {y[1], random(r, x.length, -1, 1),
                random(r, x.length, -1, 1)}, Set.of(),
                    (b, buf) -> b.softmaxBackward(rows, cols, log, buf[0], 0, buf[1], 0, buf[2], 0));
        }
        float smoothing = r.nextBoolean() ? 0 : 0.1f;
        agree("cross-entropy", seed, new float[][] {x, ints(r, rows, cols), new float[rows], new float[x.length]},
                Set.of(1), (b, buf) -> b.crossEntropy(rows, cols, smoothing, buf[0], 0, buf[1], 0, buf[2], 0, buf[3],
                        0, 1f / rows));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void normalisation(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 1 + r.nextInt(20);
        int cols = 2 + r.nextInt(90);
        float[] x = random(r, rows * cols, -3, 3);
        float[] gamma = random(r, cols, 0.5, 1.5);
        float[] beta = random(r, cols, -1, 1);
        float[][] forward = run(scalar, new float[][] {x, gamma, beta, new float[x.length], new float[rows],
            new float[rows]}, (b, buf) -> b.layerNorm(rows, cols, 1e-5f, buf[0], 0, buf[1], buf[2], buf[3], 0, buf[4],
                    buf[5]));
        agree("layer norm", seed, forward, Set.of(), (b, buf) -> b.layerNorm(rows, cols, 1e-5f, buf[0], 0, buf[1],
                buf[2], buf[3], 0, buf[4], buf[5]));
        agree("layer norm backward", seed, new float[][] {random(r, x.length, -1, 1), x, forward[4], forward[5], gamma,
            new float[x.length], new float[cols], new float[cols]}, Set.of(),
                (b, buf) -> b.layerNormBackward(rows, cols, buf[0], 0, buf[1], 0, buf[2], buf[3], buf[4], buf[5], 0,
                        buf[6], buf[7]));

        int n = 1 + r.nextInt(6);
        int channels = 1 + r.nextInt(5);
        int spatial = 1 + r.nextInt(50);
        int size = n * channels * spatial;
        float[] images = random(r, size, -2, 2);
        float[] g = random(r, channels, 0.5, 1.5);
        float[][] bn = run(scalar, new float[][] {images, g, new float[channels], new float[channels],
            ones(channels), new float[size], new float[channels], new float[channels]},
                (b, buf) -> b.batchNorm(n, channels, spatial, true, 0.1f, 1e-5f, buf[0], 0, buf[1], buf[2], buf[3],
                        buf[4], buf[5], 0, buf[6], buf[7]));
        agree("batch norm", seed, new float[][] {images, g, new float[channels], new float[channels], ones(channels),
            new float[size], new float[channels], new float[channels]}, Set.of(),
                (b, buf) -> b.batchNorm(n, channels, spatial, true, 0.1f, 1e-5f, buf[0], 0, buf[1], buf[2], buf[3],
                        buf[4], buf[5], 0, buf[6], buf[7]));
        agree("batch norm backward", seed, new float[][] {random(r, size, -1, 1), images, bn[6], bn[7], g,
            new float[size], new float[channels], new float[channels]}, Set.of(),
                (b, buf) -> b.batchNormBackward(n, channels, spatial, buf[0], 0, buf[1], 0, buf[2], buf[3], buf[4],
                        buf[5], 0, buf[6], buf[7]));
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void convolutionPoolingEmbeddingAndOptimizers(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int channels = 1 + r.nextInt(3);
        int side = 3 + r.nextInt(9);
        int kernel = 1 + r.nextInt(3);
        ConvGeometry conv = new ConvGeometry(channels, side, side + 1, kernel, kernel, 1 + r.nextInt(2),
                1 + r.nextInt(2), r.nextInt(2), r.nextInt(2));
        int columns = channels * kernel * kernel * conv.outHeight() * conv.outWidth();
        float[] image = random(r, channels * side * (side + 1), -1, 1);
        agree("im2col", seed, new float[][] {image, new float[columns]}, Set.of(),
                (b, buf) -> b.im2col(conv, buf[0], 0, buf[1], 0, conv.columnCols()));
        agree("col2im", seed, new float[][] {random(r, columns, -1, 1), new float[image.length]}, Set.of(),
                (b, buf) -> b.col2im(conv, buf[0], 0, conv.columnCols(), buf[1], 0));

        PoolGeometry pool = new PoolGeometry(side, side + 1, 2, 2, 2, 2, 0, 0);
        int pooled = channels * pool.outHeight() * pool.outWidth();
        for (boolean max : new boolean[] {true, false}) {
            agree("pool max=" + max, seed, new float[][] {image, new float[pooled], new float[pooled]},
                    max ? Set.of(2) : Set.of(), (b, buf) -> b.pool2d(pool, max, channels, buf[0], 0, buf[1], 0,
                            max ? buf[2] : null));
            float[][] forward = run(scalar, new float[][] {image, new float[pooled], new float[pooled]},
                    (b, buf) -> b.pool2d(pool, max, channels, buf[0], 0, buf[1], 0, max ? buf[2] : null));
            agree("pool backward max=" + max, seed, new float[][] {random(r, pooled, -1, 1), forward[2],
                new float[image.length]}, Set.of(), (b, buf) -> b.pool2dBackward(pool, max, channels, buf[0], 0,
                        max ? buf[1] : null, buf[2], 0));
        }

        // Max pooling of activations full of ties (ReLU's zeros) and a few NaNs, on planes wide
        // enough for whole vectors: the same maxima and the same first-maximum indices.
        int planeSide = 2 * (4 + r.nextInt(12));
        float[] ties = new float[2 * planeSide * planeSide];
        float[] levels = {0f, 0f, 0f, 1f, -1f, Float.NaN};
        for (int i = 0; i < ties.length; i++) {
            ties[i] = r.nextInt(20) == 0 ? levels[5] : levels[r.nextInt(5)];
        }
        PoolGeometry wide = new PoolGeometry(planeSide, planeSide, 2, 2, 2, 2, 0, 0);
        int widePooled = 2 * wide.outHeight() * wide.outWidth();
        agree("max pool with ties and NaN", seed, new float[][] {ties, new float[widePooled], new float[widePooled]},
                Set.of(0, 1, 2), (b, buf) -> b.pool2d(wide, true, 2, buf[0], 0, buf[1], 0, buf[2]));

        int count = 1 + r.nextInt(30);
        int dim = 1 + r.nextInt(40);
        int vocabulary = 1 + r.nextInt(10);
        float[] indices = ints(r, count, vocabulary);
        agree("gather", seed, new float[][] {random(r, vocabulary * dim, -1, 1), indices, new float[count * dim]},
                Set.of(1), (b, buf) -> b.gather(count, dim, buf[0], buf[1], 0, buf[2], 0));
        agree("scatter-add", seed, new float[][] {random(r, count * dim, -1, 1), indices,
            new float[vocabulary * dim]}, Set.of(1), (b, buf) -> b.scatterAdd(count, dim, buf[0], 0, buf[1], 0,
                    buf[2]));

        int n = odd(r);
        long t = 1 + r.nextInt(100);
        agree("sgd", seed, new float[][] {random(r, n, -1, 1), random(r, n, -1, 1), random(r, n, -1, 1)}, Set.of(),
                (b, buf) -> b.sgdStep(n, 0.1f, 0.9f, 0.01f, true, InOut.inPlace(buf[0], 0), buf[1], 0,
                        InOut.inPlace(buf[2], 0)));
        agree("adam", seed, new float[][] {random(r, n, -1, 1), random(r, n, -1, 1), random(r, n, -0.1, 0.1),
            random(r, n, 0, 0.1)}, Set.of(), (b, buf) -> b.adamStep(n, 0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, true,
                    t, InOut.inPlace(buf[0], 0), buf[1], 0, InOut.inPlace(buf[2], 0), InOut.inPlace(buf[3], 0)));
        float[] values = random(r, 2 * n, -1e5, 1e5);
        for (DType type : new DType[] {DType.BF16, DType.F16}) {
            agree("convert " + type, seed, new float[][] {values, new float[n], new float[2 * n]}, Set.of(1, 2),
                    (b, buf) -> {
                        b.convert(DType.F32, buf[0], 0, type, buf[1], 0, 2L * n);
                        b.convert(type, buf[1], 0, DType.F32, buf[2], 0, 2L * n);
                    });
        }
    }
}
