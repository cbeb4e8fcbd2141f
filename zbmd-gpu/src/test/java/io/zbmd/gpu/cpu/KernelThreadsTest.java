package io.zbmd.gpu.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.ConvGeometry;
import io.zbmd.gpu.PoolGeometry;
import io.zbmd.gpu.UnaryOp;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The kernels that split their work over threads compute, on 2 and 3 threads, exactly what
 * they compute on one: same bits, on lengths that leave scalar tails and uneven parts.
 */
class KernelThreadsTest {
    /** Long enough to split over 3 threads, not a multiple of any vector length. */
    private static final int N = (int) (3 * CpuKernels.PARALLEL_MIN + 37);

    private Arena arena;
    private CpuKernels one;
    private CpuKernels two;
    private CpuKernels three;

    @BeforeEach
    void setUp() {
        arena = Arena.ofShared(); // the workers may touch it (a confined segment stays on the caller)
        one = CpuKernels.create(true, 1);
        two = CpuKernels.create(true, 2);
        three = CpuKernels.create(true, 3);
    }

    @AfterEach
    void tearDown() {
        one.close();
        two.close();
        three.close();
        arena.close();
    }

    private MemorySegment random(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        MemorySegment segment = arena.allocate((long) n * Float.BYTES, 64);
        for (int i = 0; i < n; i++) {
            segment.setAtIndex(JAVA_FLOAT, i, (float) (random.nextDouble() * 4 - 2));
        }
        return segment;
    }

    private MemorySegment copy(MemorySegment segment) {
        MemorySegment copy = arena.allocate(segment.byteSize(), 64);
        copy.copyFrom(segment);
        return copy;
    }

    /** Runs {@code kernel} on copies of {@code inputs} with each kernel set; the outputs must agree bit for bit. */
    private void assertSameOnAnyThreadCount(MemorySegment[] inputs, KernelCall kernel) {
        MemorySegment[] expected = copies(inputs);
        kernel.run(one, expected);
        for (CpuKernels kernels : new CpuKernels[] {two, three}) {
            MemorySegment[] actual = copies(inputs);
            kernel.run(kernels, actual);
            for (int i = 0; i < inputs.length; i++) {
                assertThat(actual[i].mismatch(expected[i])).as("operand %d differs at this byte", i).isEqualTo(-1L);
            }
        }
    }

    private MemorySegment[] copies(MemorySegment[] inputs) {
        MemorySegment[] copies = new MemorySegment[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            copies[i] = copy(inputs[i]);
        }
        return copies;
    }

    @FunctionalInterface
    interface KernelCall {
        void run(CpuKernels kernels, MemorySegment[] operands);
    }

    /**
     * The exact operations only. The transcendental ones (EXP, LOG, GELU, TANH, SIGMOID) are
     * not split over threads, and are not even reproducible on one: the Vector API's compiled
     * code (SVML) and its interpreted fallback ({@link Math}) differ in the last bit, so the
     * first call and a later one disagree (seen here).
     */
    @ParameterizedTest
    @EnumSource(value = UnaryOp.class, names = {"NEG", "RELU", "SQRT", "SQUARE", "ABS"})
    void mapsAndTheirGradients(UnaryOp op) {
        MemorySegment x = random(N, 1);
        if (op == UnaryOp.SQRT) {
            x = copy(x);
            for (int i = 0; i < N; i++) {
                x.setAtIndex(JAVA_FLOAT, i, Math.abs(x.getAtIndex(JAVA_FLOAT, i)) + 0.1f);
            }
        }
        MemorySegment y = random(N, 2);
        assertSameOnAnyThreadCount(new MemorySegment[] {x, y}, (k, s) -> k.map(op, s[0], 0, s[1], 0, N));
        MemorySegment dy = random(N, 3);
        MemorySegment dx = random(N, 4);
        assertSameOnAnyThreadCount(new MemorySegment[] {x, y, dy, dx},
                (k, s) -> k.mapBackward(op, s[0], 0, s[1], 0, s[2], 0, s[3], 0, N));
    }

    @Test
    void axpyScaleFillAndAdam() {
        MemorySegment x = random(N, 5);
        MemorySegment y = random(N, 6);
        assertSameOnAnyThreadCount(new MemorySegment[] {x, y}, (k, s) -> k.axpy(0.37f, s[0], 0, s[1], 0, N));
        assertSameOnAnyThreadCount(new MemorySegment[] {x}, (k, s) -> k.scale(-1.9f, s[0], 0, N));
        assertSameOnAnyThreadCount(new MemorySegment[] {x}, (k, s) -> k.fill(s[0], 5, N - 5, 3.25f));
        MemorySegment m = random(N, 7);
        MemorySegment v = random(N, 8);
        for (int i = 0; i < N; i++) {
            v.setAtIndex(JAVA_FLOAT, i, Math.abs(v.getAtIndex(JAVA_FLOAT, i)));
        }
        assertSameOnAnyThreadCount(new MemorySegment[] {x, y, m, v}, (k, s) -> k.adam(1e-3f, 0.9f, 0.999f, 1e-8f,
                0.01f, true, 0.1f, 0.001f, s[0], 0, s[0], 0, s[1], 0, s[2], 0, s[2], 0, s[3], 0, s[3], 0, N));
    }

    @Test
    void batchNormAndItsGradientPerChannel() {
        int n = 3;
        int channels = 7;
        int spatial = 40 * 40; // 7 × 3 × 1600 elements: split over the channels
        int total = n * channels * spatial;
        MemorySegment x = random(total, 9);
        MemorySegment gamma = random(channels, 10);
        MemorySegment beta = random(channels, 11);
        MemorySegment runningMean = random(channels, 12);
        MemorySegment runningVar = random(channels, 13);
        for (int c = 0; c < channels; c++) {
            runningVar.setAtIndex(JAVA_FLOAT, c, Math.abs(runningVar.getAtIndex(JAVA_FLOAT, c)) + 0.5f);
        }
        MemorySegment y = random(total, 14);
        MemorySegment mean = random(channels, 15);
        MemorySegment rstd = random(channels, 16);
        for (boolean training : new boolean[] {true, false}) {
            assertSameOnAnyThreadCount(new MemorySegment[] {x, gamma, beta, runningMean, runningVar, y, mean, rstd},
                    (k, s) -> CpuNn.create(k).batchNorm(n, channels, spatial, training, 0.1f, 1e-5f, s[0], 0, s[1],
                            s[2], s[3], s[4], s[5], 0, s[6], s[7]));
        }
        MemorySegment dy = random(total, 17);
        MemorySegment dx = random(total, 18);
        MemorySegment dgamma = random(channels, 19);
        MemorySegment dbeta = random(channels, 20);
        for (int c = 0; c < channels; c++) {
            rstd.setAtIndex(JAVA_FLOAT, c, Math.abs(rstd.getAtIndex(JAVA_FLOAT, c)) + 0.5f);
        }
        assertSameOnAnyThreadCount(new MemorySegment[] {dy, x, mean, rstd, gamma, dx, dgamma, dbeta},
                (k, s) -> CpuNn.create(k).batchNormBackward(n, channels, spatial, s[0], 0, s[1], 0, s[2], s[3], s[4],
                        s[5], 0, s[6], s[7]));
    }

    @Test
    void poolingAndItsGradientPerPlane() {
        int planes = 2 * 17;
        PoolGeometry pairs = new PoolGeometry(64, 62, 2, 2, 2, 2, 0, 0);
        PoolGeometry windows = new PoolGeometry(64, 62, 3, 3, 2, 2, 1, 1);
        for (PoolGeometry g : new PoolGeometry[] {pairs, windows}) {
            int in = planes * g.height() * g.width();
            int out = planes * g.outHeight() * g.outWidth();
            for (boolean max : new boolean[] {true, false}) {
                MemorySegment x = random(in, 21);
                MemorySegment y = random(out, 22);
                MemorySegment argmax = arena.allocate((long) out * Integer.BYTES, 64);
                argmax.fill((byte) -1); // every int -1 until written
                assertSameOnAnyThreadCount(new MemorySegment[] {x, y, argmax},
                        (k, s) -> CpuNn.create(k).pool2d(g, max, planes, s[0], 0, s[1], 0, s[2]));
                CpuNn.create(two).pool2d(g, max, planes, x, 0, y, 0, argmax);
                if (max) { // the first plane's and the last's: both threads wrote theirs
                    assertThat(argmax.getAtIndex(JAVA_INT, 0)).isNotNegative();
                    assertThat(argmax.getAtIndex(JAVA_INT, out - 1)).isNotNegative();
                }
                MemorySegment dy = random(out, 23);
                MemorySegment dx = random(in, 24);
                assertSameOnAnyThreadCount(new MemorySegment[] {dy, argmax, dx},
                        (k, s) -> CpuNn.create(k).pool2dBackward(g, max, planes, s[0], 0, s[1], s[2], 0));
            }
        }
    }

    @Test
    void aTransposingCopy() {
        int n = 64;
        int out = 8;
        int spatial = 300; // [out, n, spatial] to [n, out, spatial], as a convolution's output
        MemorySegment src = random(n * out * spatial, 25);
        MemorySegment dst = random(n * out * spatial, 26);
        assertSameOnAnyThreadCount(new MemorySegment[] {src, dst}, (k, s) -> k.copy(new int[] {n, out, spatial},
                s[0], 0, new long[] {spatial, (long) n * spatial, 1}, s[1], 0,
                new long[] {(long) out * spatial, spatial, 1}));
        MemorySegment copied = copy(dst);
        two.copy(new int[] {n, out, spatial}, src, 0, new long[] {spatial, (long) n * spatial, 1}, copied, 0,
                new long[] {(long) out * spatial, spatial, 1});
        assertThat(copied.getAtIndex(JAVA_FLOAT, ((long) (n - 1) * out + 5) * spatial + 7))
                .isEqualTo(src.getAtIndex(JAVA_FLOAT, ((long) 5 * n + (n - 1)) * spatial + 7));
    }

    @Test
    void im2colAndCol2imOfABatchAsImageByImage() {
        int images = 24;
        ConvGeometry g = new ConvGeometry(3, 30, 29, 3, 3, 1, 1, 1, 1);
        long imageSize = (long) g.channels() * g.height() * g.width();
        int spatial = g.columnCols();
        long wide = (long) images * spatial + 5; // rows a little apart
        MemorySegment image = random((int) (images * imageSize), 27);
        MemorySegment columns = random((int) ((g.columnRows() - 1) * wide + images * spatial), 28);
        MemorySegment expected = copy(columns);
        CpuNn single = CpuNn.create(one);
        for (int i = 0; i < images; i++) {
            single.im2col(g, image, i * imageSize, expected, (long) i * spatial, wide);
        }
        for (CpuKernels kernels : new CpuKernels[] {one, two, three}) {
            MemorySegment actual = copy(columns);
            CpuNn.create(kernels).im2col(g, images, image, 0, actual, 0, wide);
            assertThat(actual.mismatch(expected)).isEqualTo(-1L);
        }
        MemorySegment expectedImage = copy(image);
        for (int i = 0; i < images; i++) {
            single.col2im(g, columns, (long) i * spatial, wide, expectedImage, i * imageSize);
        }
        for (CpuKernels kernels : new CpuKernels[] {one, two, three}) {
            MemorySegment actual = copy(image);
            CpuNn.create(kernels).col2im(g, images, columns, 0, wide, actual, 0);
            assertThat(actual.mismatch(expectedImage)).isEqualTo(-1L);
        }
    }

    /** "Same" convolutions (im2col's fast path: stride 1, output as wide as the input) and others. */
    private static final ConvGeometry[] CONVOLUTIONS = {
        new ConvGeometry(3, 7, 9, 3, 3, 1, 1, 1, 1), // same: 3×3, padding 1
        new ConvGeometry(2, 6, 5, 5, 5, 1, 1, 2, 2), // same: 5×5, padding 2
        new ConvGeometry(2, 4, 6, 1, 1, 1, 1, 0, 0), // same: 1×1
        new ConvGeometry(2, 8, 3, 3, 3, 1, 1, 1, 1), // same, narrower than the kernel's reach
        new ConvGeometry(1, 2, 2, 3, 3, 1, 1, 1, 1), // same, smaller than the kernel
        new ConvGeometry(2, 7, 9, 3, 3, 1, 1, 0, 0), // valid
        new ConvGeometry(2, 7, 9, 3, 3, 2, 2, 1, 1), // strided
        new ConvGeometry(2, 7, 9, 3, 1, 1, 1, 1, 0), // same width, not the same height
    };

    /**
     * im2col against its definition, entry by entry, for "same" convolutions (its fast path:
     * stride 1, output as wide as the input) and others, square and not.
     */
    @Test
    void im2colIsItsDefinition() {
        for (ConvGeometry g : CONVOLUTIONS) {
            int imageSize = g.channels() * g.height() * g.width();
            int spatial = g.outHeight() * g.outWidth();
            MemorySegment image = random(imageSize, 40);
            MemorySegment columns = random(g.columnRows() * spatial, 41);
            CpuNn.create(one).im2col(g, image, 0, columns, 0, spatial);
            forEachUnfolded(g, (column, imageEntry) -> {
                float expected = imageEntry < 0 ? 0f : image.getAtIndex(JAVA_FLOAT, imageEntry);
                assertThat(columns.getAtIndex(JAVA_FLOAT, column)).as("%s, column entry %d", g, column)
                        .isEqualTo(expected);
            });
        }
    }

    /**
     * col2im against its definition: each image entry the sum, in float and in the order of
     * the column rows, of the column entries unfolded from it; bit for bit.
     */
    @Test
    void col2imIsItsDefinition() {
        for (ConvGeometry g : CONVOLUTIONS) {
            int imageSize = g.channels() * g.height() * g.width();
            int spatial = g.outHeight() * g.outWidth();
            MemorySegment columns = random(g.columnRows() * spatial, 42);
            MemorySegment image = random(imageSize, 43);
            CpuNn.create(one).col2im(g, columns, 0, spatial, image, 0);
            float[] expected = new float[imageSize];
            forEachUnfolded(g, (column, imageEntry) -> {
                if (imageEntry >= 0) {
                    expected[imageEntry] += columns.getAtIndex(JAVA_FLOAT, column);
                }
            });
            for (int i = 0; i < imageSize; i++) {
                assertThat(Float.floatToRawIntBits(image.getAtIndex(JAVA_FLOAT, i))).as("%s, image entry %d", g, i)
                        .isEqualTo(Float.floatToRawIntBits(expected[i]));
            }
        }
    }

    /** Where one entry of an image's columns was unfolded from. */
    @FunctionalInterface
    private interface UnfoldedEntry {
        /**
         * @param column the entry's index in the {@code [c·kh·kw, oh·ow]} columns
         * @param imageEntry the image entry it copies, or -1 for the zero padding
         */
        void accept(int column, int imageEntry);
    }

    /** im2col's definition: every column entry in order (rows c, kh, kw; then oh, ow) with its source. */
    private static void forEachUnfolded(ConvGeometry g, UnfoldedEntry entry) {
        int spatial = g.outHeight() * g.outWidth();
        int row = 0;
        for (int c = 0; c < g.channels(); c++) {
            for (int kh = 0; kh < g.kernelHeight(); kh++) {
                for (int kw = 0; kw < g.kernelWidth(); kw++, row++) {
                    for (int oh = 0; oh < g.outHeight(); oh++) {
                        for (int ow = 0; ow < g.outWidth(); ow++) {
                            int ih = oh * g.strideHeight() - g.padHeight() + kh;
                            int iw = ow * g.strideWidth() - g.padWidth() + kw;
                            boolean inside = ih >= 0 && ih < g.height() && iw >= 0 && iw < g.width();
                            entry.accept(row * spatial + oh * g.outWidth() + ow,
                                    inside ? (c * g.height() + ih) * g.width() + iw : -1);
                        }
                    }
                }
            }
        }
    }

    /** col2im and pooling's gradient write their output: what was there before does not matter. */
    @Test
    void col2imAndPoolingsGradientWriteRatherThanAdd() {
        ConvGeometry conv = new ConvGeometry(3, 30, 29, 3, 3, 1, 1, 1, 1);
        int images = 5;
        int imageSize = conv.channels() * conv.height() * conv.width();
        long wide = (long) images * conv.columnCols();
        MemorySegment columns = random((int) (conv.columnRows() * wide), 31);
        MemorySegment overGarbage = random(images * imageSize, 32);
        MemorySegment overZeros = arena.allocate((long) images * imageSize * Float.BYTES, 64);
        CpuNn nn = CpuNn.create(two);
        nn.col2im(conv, images, columns, 0, wide, overGarbage, 0);
        nn.col2im(conv, images, columns, 0, wide, overZeros, 0);
        assertThat(overGarbage.mismatch(overZeros)).isEqualTo(-1L);

        int planes = 6;
        for (PoolGeometry g : new PoolGeometry[] {new PoolGeometry(28, 28, 2, 2, 2, 2, 0, 0),
            new PoolGeometry(28, 28, 3, 3, 2, 2, 1, 1)}) {
            int in = planes * g.height() * g.width();
            int out = planes * g.outHeight() * g.outWidth();
            for (boolean max : new boolean[] {true, false}) {
                MemorySegment argmax = arena.allocate((long) out * Integer.BYTES, 64);
                nn.pool2d(g, max, planes, random(in, 33), 0, random(out, 34), 0, argmax);
                MemorySegment dy = random(out, 35);
                MemorySegment gradientOverGarbage = random(in, 36);
                MemorySegment gradientOverZeros = arena.allocate((long) in * Float.BYTES, 64);
                nn.pool2dBackward(g, max, planes, dy, 0, argmax, gradientOverGarbage, 0);
                nn.pool2dBackward(g, max, planes, dy, 0, argmax, gradientOverZeros, 0);
                assertThat(gradientOverGarbage.mismatch(gradientOverZeros)).as("max = %s, %s", max, g).isEqualTo(-1L);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void broadcastAndInPlaceBinaryOps(BinaryOp op) {
        int n = 16;
        int channels = 12;
        int plane = 33 * 33;
        int total = n * channels * plane;
        int[] shape = {n, channels, 33, 33};
        long[] dense = {(long) channels * plane, plane, 33, 1};
        long[] perChannel = {0, 1, 0, 0}; // a bias of [1, channels, 1, 1]
        MemorySegment a = random(total, 29);
        MemorySegment bias = random(channels, 30);
        MemorySegment out = random(total, 31);
        assertSameOnAnyThreadCount(new MemorySegment[] {a, bias, out},
                (k, s) -> k.binary(op, shape, s[0], 0, dense, s[1], 0, perChannel, s[2], 0, dense));
        assertSameOnAnyThreadCount(new MemorySegment[] {a, out}, // in place, contiguous: out op= a
                (k, s) -> k.binary(op, new int[] {total}, s[1], 0, new long[] {1}, s[0], 0, new long[] {1}, s[1], 0,
                        new long[] {1}));
        assertSameOnAnyThreadCount(new MemorySegment[] {a, bias}, // in place over a broadcast operand
                (k, s) -> k.binary(op, shape, s[0], 0, dense, s[1], 0, perChannel, s[0], 0, dense));
    }

    @Test
    void dropoutMasksAlikeOnAnyThreadCount() {
        MemorySegment x = random(N, 32);
        MemorySegment y = random(N, 33);
        MemorySegment mask = random(N, 34);
        assertSameOnAnyThreadCount(new MemorySegment[] {x, y, mask},
                (k, s) -> CpuNn.create(k).dropout(N, 0.3f, 42L, s[0], 0, s[1], 0, s[2]));
        CpuNn.create(two).dropout(N, 0.3f, 42L, x, 0, y, 0, mask);
        long kept = 0;
        for (int i = 0; i < N; i++) {
            kept += mask.getAtIndex(JAVA_FLOAT, i) == 1f ? 1 : 0;
        }
        assertThat((double) kept / N).isBetween(0.68, 0.72);
    }

    /**
     * The dropout kernel against its definition, element by element: kept where the element's
     * draw {@code uniform(seed, i)} is at least {@code p}, then {@code x / (1 - p)}, else +0;
     * for probabilities whose {@code p·2^24} is and is not a whole number, one equal to a draw, and inputs with
     * negative values, zeros, infinities and NaN.
     */
    @Test
    void dropoutIsItsDefinitionBitForBit() {
        int n = 10_000 + 3;
        MemorySegment x = random(n, 37);
        float[] specials = {-0f, 0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1e-30f};
        for (int i = 0; i < specials.length * 100; i += 100) {
            x.setAtIndex(JAVA_FLOAT, i, specials[i / 100]);
        }
        // the last: exactly element 5's draw, which is kept (at least p), and nothing else is on the edge
        for (float p : new float[] {0f, 1e-7f, 0.25f, 0.3f, 0.5f, 0.9999999f, CpuNn.uniform(7L, 5)}) {
            MemorySegment y = random(n, 38);
            MemorySegment mask = random(n, 39);
            CpuNn.create(two).dropout(n, p, 7L, x, 0, y, 0, mask);
            float keepScale = 1f / (1f - p);
            for (int i = 0; i < n; i++) {
                boolean keep = CpuNn.uniform(7L, i) >= p;
                float expected = keep ? x.getAtIndex(JAVA_FLOAT, i) * keepScale : 0f;
                assertThat(Float.floatToRawIntBits(y.getAtIndex(JAVA_FLOAT, i))).as("p = %s, element %d", p, i)
                        .isEqualTo(Float.floatToRawIntBits(expected));
                assertThat(mask.getAtIndex(JAVA_FLOAT, i)).isEqualTo(keep ? 1f : 0f);
            }
        }
    }

    @Test
    void aSegmentConfinedToTheCallerStaysOnTheCaller() {
        try (Arena confined = Arena.ofConfined()) {
            MemorySegment x = confined.allocate((long) N * Float.BYTES, 64);
            two.fill(x, 0, N, 2f); // the workers cannot touch it: no failure, the caller does it all
            assertThat(x.getAtIndex(JAVA_FLOAT, N - 1)).isEqualTo(2f);
            assertThat(x.getAtIndex(JAVA_FLOAT, 0)).isEqualTo(2f);
        }
    }
}
