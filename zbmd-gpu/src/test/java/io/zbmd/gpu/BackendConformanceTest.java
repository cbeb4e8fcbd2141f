package io.zbmd.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.memory.DeviceOutOfMemoryException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backend conformance suite: what every {@link Backend} must do, checked against the
 * reference, a single-threaded CPU backend on plain scalar loops and zbmd's Java GEMM. Each
 * operation runs on both with the same seeded inputs (random shapes, broadcasting strides,
 * transposes, offsets, odd and empty sizes), and the outputs must agree within the tolerance
 * written beside it: {@code |got - want| <= atol + rtol · |want|}. Transfers, copies, fills,
 * conversions, masks, indices and the dropout mask must agree exactly.
 *
 * <p>It runs for every backend {@link Backends#discover discovered} on the machine; a new
 * backend passes it before it is permitted. Tolerances: a reordered float32 sum of {@code k}
 * terms may differ by about {@code k · 2^-24} relative; transcendental functions by a few
 * units in the last place, as device math libraries promise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendConformanceTest {
    /** Element-wise arithmetic, one rounding: a device may fuse or reorder within an element. */
    private static final Tolerance ARITHMETIC = new Tolerance(2e-6, 1e-7);
    /** exp, log, tanh, sigmoid, GELU, sqrt: a few ulps, as OpenCL's and CUDA's math promise. */
    private static final Tolerance TRANSCENDENTAL = new Tolerance(1e-5, 1e-6);
    /** Sums over a row or a reduction: the order of the terms may differ. */
    private static final Tolerance SUMS = new Tolerance(1e-4, 1e-5);
    private static final Tolerance EXACT = new Tolerance(0, 0);
    private static final int SEEDS = 6;

    private Backend reference;
    private List<Backend> backends;

    record Tolerance(double rtol, double atol) {}

    @BeforeAll
    void open() {
        reference = CpuBackend.create(CpuConfig.defaults().withThreads(1).withVectorApi(false)
                .withGemm(CpuConfig.Gemm.JAVA).withMemoryBudgetBytes(256L << 20));
        backends = Backends.discover(CpuConfig.defaults().withThreads(2).withMemoryBudgetBytes(256L << 20));
    }

    @AfterAll
    void close() {
        backends.forEach(Backend::close);
        reference.close();
    }

    Stream<Arguments> backendsAndSeeds() {
        List<Arguments> cases = new ArrayList<>();
        for (int b = 0; b < backends.size(); b++) {
            for (long seed = 1; seed <= SEEDS; seed++) {
                cases.add(Arguments.of(backends.get(b).device().kind() + "#" + b, b, seed));
            }
        }
        return cases.stream();
    }

    // ------------------------------------------------------------------ transfers and copies

    @ParameterizedTest(name = "{0}, seed {2}")
    @MethodSource("backendsAndSeeds")
    void transfersCopiesFillsAndConversionsAreExact(String name, int which, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int n = 1 + random.nextInt(300);
        float[] values = floats(random, n, 3);
        values[0] = Float.NaN;
        values[n - 1] = -0f;
        if (n > 2) {
            values[1] = Float.MIN_VALUE;
        }
        int[] ints = random.ints(n).toArray();
        Backend backend = backends.get(which);
        try (Io io = new Io(backend)) {
            assertThat(io.read(io.floats(values))).as("floats round-trip").isEqualTo(values);
            DeviceBuffer intBuffer = io.allocate(n);
            backend.uploadInts(ints, 0, intBuffer, 0, n);
            int[] back = new int[n];
            backend.downloadInts(intBuffer, 0, back, 0, n);
            assertThat(back).as("ints round-trip").isEqualTo(ints);
        }
        int rows = 1 + random.nextInt(17);
        int cols = 1 + random.nextInt(23);
        float[] matrix = floats(random, rows * cols + 5, 2);
        agree(which, seed, "copy (a transpose at an offset)", EXACT, io -> {
            DeviceBuffer out = io.filled(rows * cols + 3, 9f);
            io.backend.copy(new int[] {rows, cols}, io.floats(matrix), 5, new long[] {cols, 1}, out, 3,
                    new long[] {1, rows});
            return io.read(out);
        });
        agree(which, seed, "copy of an empty view writes nothing", EXACT, io -> {
            DeviceBuffer out = io.filled(cols + 1, 9f);
            io.backend.copy(new int[] {cols, 0}, io.floats(matrix), 0, new long[] {1, cols}, out, 0,
                    new long[] {1, 1});
            return io.read(out);
        });
        agree(which, seed, "fill", EXACT, io -> {
            DeviceBuffer out = io.filled(n + 4, 1f);
            io.backend.fill(out, 2, n, -3.5f);
            return io.read(out);
        });
        for (DType half : List.of(DType.BF16, DType.F16)) {
            float[] finite = floats(random, 2 * n, 100);
            agree(which, seed, "convert to " + half + " and back", EXACT, io -> {
                DeviceBuffer packed = io.filled(n, 0f);
                io.backend.convert(DType.F32, io.floats(finite), 0, half, packed, 0, 2L * n);
                DeviceBuffer widened = io.filled(2 * n, 0f);
                io.backend.convert(half, packed, 0, DType.F32, widened, 0, 2L * n);
                return io.read(widened);
            });
        }
    }

    // ------------------------------------------------------------------ linear algebra

    @ParameterizedTest(name = "{0}, seed {2}")
    @MethodSource("backendsAndSeeds")
    void sgemmAgreesOnEveryTransposeAndOddShape(String name, int which, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 8; trial++) {
            boolean transA = random.nextBoolean();
            boolean transB = random.nextBoolean();
            int m = 1 + random.nextInt(trial < 4 ? 9 : 130);
            int n = 1 + random.nextInt(trial < 4 ? 9 : 130);
            int k = 1 + random.nextInt(trial < 4 ? 9 : 200);
            int lda = (transA ? m : k) + random.nextInt(3);
            int ldb = (transB ? k : n) + random.nextInt(3);
            int ldc = n + random.nextInt(3);
            float alpha = random.nextBoolean() ? 1f : (float) random.nextDouble(-2, 2);
            float beta = random.nextBoolean() ? 0f : (float) random.nextDouble(-1, 1);
            float[] a = floats(random, 2 + lda * (transA ? k : m), 1);
            float[] b = floats(random, 1 + ldb * (transB ? n : k), 1);
            float[] c = floats(random, 3 + ldc * m, 1);
            Tolerance gemm = new Tolerance(k * 2e-6, k * 2e-6);
            agree(which, seed, String.format("sgemm %s%s %dx%dx%d", transA ? "T" : "N", transB ? "T" : "N", m, n, k),
                    gemm, io -> {
                        DeviceBuffer out = io.floats(c);
                        io.backend.sgemm(transA, transB, m, n, k, alpha, io.floats(a), 2, lda, io.floats(b), 1, ldb,
                                beta, out, 3, ldc);
                        return io.read(out);
                    });
        }
        int count = random.nextInt(1000);
        float[] x = floats(random, count + 1, 2);
        float[] y = floats(random, count + 2, 2);
        float alpha = (float) random.nextDouble(-2, 2);
        agree(which, seed, "axpy", ARITHMETIC, io -> {
            DeviceBuffer out = io.floats(y);
            io.backend.axpy(count, alpha, io.floats(x), 1, out, 2);
            return io.read(out);
        });
        agree(which, seed, "scale", ARITHMETIC, io -> {
            DeviceBuffer out = io.floats(y);
            io.backend.scale(count, alpha, out, 2);
            return io.read(out);
        });
        agree(which, seed, "sumOfSquares", SUMS,
                io -> new float[] {(float) io.backend.sumOfSquares(count, io.floats(x), 1)});
    }

    // ------------------------------------------------------------------ element-wise

    @ParameterizedTest(name = "{0}, seed {2}")
    @MethodSource("backendsAndSeeds")
    void unaryOpsAndTheirGradientsAgree(String name, int which, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int count = random.nextInt(700);
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT;
            float[] x = floats(random, count + 1, 4);
            if (positive) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = Math.abs(x[i]) + 0.05f;
                }
            }
            float[] dy = floats(random, count, 1);
            float[] dx = floats(random, count, 1);
            Tolerance tolerance = switch (op) {
                case NEG, RELU, SQUARE -> ARITHMETIC;
                default -> TRANSCENDENTAL;
            };
            agree(which, seed, "unary " + op, tolerance, io -> {
                DeviceBuffer y = io.filled(count + 1, 0f);
                io.backend.unary(op, count, io.floats(x), 1, y, 0);
                return io.read(y);
            });
            agree(which, seed, "unary " + op + " in place", tolerance, io -> {
                DeviceBuffer y = io.floats(x);
                io.backend.unary(op, count, y, 1, y, 1);
                return io.read(y);
            });
            agree(which, seed, "unaryBackward " + op, tolerance, io -> {
                DeviceBuffer in = io.floats(x);
                DeviceBuffer y = io.filled(count + 1, 0f);
                io.backend.unary(op, count, in, 1, y, 0);
                DeviceBuffer grad = io.floats(dx);
                io.backend.unaryBackward(op, count, in, 1, y, 0, io.floats(dy), 0, grad, 0);
                return io.read(grad);
            });
        }
    }

    @ParameterizedTest(name = "{0}, seed {2}")
    @MethodSource("backendsAndSeeds")
    void broadcastBinaryOpsAndReductionsAgree(String name, int which, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 6; trial++) {
            int rank = 1 + random.nextInt(4);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) {
                shape[d] = random.nextInt(8) == 0 ? (trial == 5 ? 0 : 1) : 1 + random.nextInt(6);
            }
            long[] out = contiguous(shape);
            long[] aStrides = broadcast(random, shape);
            long[] bStrides = broadcast(random, shape);
            float[] a = floats(random, 2 + extent(shape, aStrides), 3);
            float[] b = floats(random, 1 + extent(shape, bStrides), 3);
            for (int i = 0; i < b.length; i++) {
                b[i] = b[i] >= 0 ? b[i] + 0.5f : b[i] - 0.5f; // a divisor away from 0
            }
            long size = extent(shape, out);
            for (BinaryOp op : BinaryOp.values()) {
                agree(which, seed, "binary " + op + " " + Arrays.toString(shape), ARITHMETIC, io -> {
                    DeviceBuffer result = io.filled((int) size + 1, 7f);
                    io.backend.binary(op, shape, io.floats(a), 2, aStrides, io.floats(b), 1, bStrides, result, 1, out);
                    return io.read(result);
                });
            }
            agree(which, seed, "binary ADD in place (a += b) " + Arrays.toString(shape), ARITHMETIC, io -> {
                DeviceBuffer result = io.filled((int) size + 1, 7f);
                io.backend.copy(shape, io.floats(a), 2, aStrides, result, 1, out);
                io.backend.binary(BinaryOp.ADD, shape, result, 1, out, io.floats(b), 1, bStrides, result, 1, out);
                return io.read(result);
            });
            if (size == 0) {
                continue;
            }
            long[] kept = new long[rank];
            int keptSize = 1;
            for (int d = rank - 1; d >= 0; d--) {
                if (random.nextBoolean()) {
                    kept[d] = keptSize;
                    keptSize *= shape[d];
                }
            }
            int outSize = keptSize;
            boolean accumulate = random.nextBoolean();
            float[] init = floats(random, outSize, 1);
            agree(which, seed, "reduce SUM " + Arrays.toString(shape), SUMS, io -> {
                DeviceBuffer result = io.floats(init);
                io.backend.reduce(ReduceOp.SUM, shape, io.floats(a), 2, aStrides, result, 0, kept, accumulate, null);
                return io.read(result);
            });
            agree(which, seed, "reduce MAX with argmax " + Arrays.toString(shape), EXACT, io -> {
                DeviceBuffer result = io.floats(init);
                DeviceBuffer argmax = io.filled(outSize, 0f);
                io.backend.reduce(ReduceOp.MAX, shape, io.floats(a), 2, aStrides, result, 0, kept, false, argmax);
                return concat(io.read(result), io.readIntsAsFloats(argmax));
            });
        }
        int rows = 1 + random.nextInt(20);
        int cols = 1 + random.nextInt(40);
        float[] x = floats(random, rows * cols, 2);
        x[random.nextInt(x.length)] = 2f; // ties: the first maximum wins
        x[x.length - 1] = 2f;
        agree(which, seed, "argmaxRows", EXACT, io -> {
            DeviceBuffer result = io.filled(rows, 0f);
            io.backend.argmaxRows(rows, cols, io.floats(x), 0, result, 0);
            return io.readIntsAsFloats(result);
        });
    }

    // ------------------------------------------------------------------ neural-network kernels

    @ParameterizedTest(name = "{0}, seed {2}")
    @MethodSource("backendsAndSeeds")
    void softmaxAndCrossEntropyAgree(String name, int which, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int rows = 1 + random.nextInt(30);
        int cols = 1 + random.nextInt(50);
        float[] x = floats(random, rows * cols + 1, 6);
        float[] dy = floats(random, rows * cols, 1);
        float[] dx = floats(random, rows * cols, 1);
        int[] labels = random.ints(rows, 0, cols).toArray();
        float smoothing = random.nextBoolean() ? 0f : 0.1f;
        for (boolean log : new boolean[] {false, true}) {
            agree(which, seed, "softmax log=" + log, TRANSCENDENTAL, io -> {
                DeviceBuffer y = io.filled(rows * cols, 0f);
                io.backend.softmax(rows, cols, log, io.floats(x), 1, y, 0);
                return io.read(y);
            });
            agree(which, seed, "softmaxBackward log=" + log, SUMS, io -> {
                DeviceBuffer y = io.filled(rows * cols, 0f);
                io.backend.softmax(rows, cols, log, io.floats(x), 1, y, 0);
                DeviceBuffer grad = io.floats(dx);
                io.backend.softmaxBackward(rows, cols, log, y, 0, io.floats(dy), 0, grad, 0);
                return io.read(grad);
            });
        }
        agree(which, seed, "crossEntropy smoothing=" + smoothing, SUMS, io -> {
            DeviceBuffer loss = io.filled(rows, 0f);
            DeviceBuffer grad = io.filled(rows * cols, 0f);
            io.backend.crossEntropy(rows, cols, smoothing, io.floats(x), 1, io.ints(labels), 0, loss, 0, grad, 0,
                    1f / rows);
            return concat(io.read(loss), io.read(grad));
        });
    }

    @ParameterizedTest(name = "{0}, seed {2}")
    @MethodSource("backendsAndSeeds")
    void convolutionPiecesAndPoolingAgree(String name, int which, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int kernel = 1 + random.nextInt(3);
        int stride = 1 + random.nextInt(2);
        int pad = random.nextInt(kernel);
        ConvGeometry g = new ConvGeometry(1 + random.nextInt(3), kernel + random.nextInt(8), kernel + random.nextInt(8),
                kernel, kernel, stride, stride, pad, pad);
        int images = 1 + random.nextInt(3);
        int imageSize = g.channels() * g.height() * g.width();
        long rowStride = (long) images * g.columnCols() + random.nextInt(3);
        int columnsSize = (int) (g.columnRows() * rowStride);
        float[] image = floats(random, images * imageSize, 2);
        float[] columns = floats(random, columnsSize, 2);
        agree(which, seed, "im2colImages " + g, EXACT, io -> {
            DeviceBuffer out = io.filled(columnsSize, 5f);
            io.backend.im2colImages(g, images, io.floats(image), 0, out, 0, rowStride);
            return io.read(out);
        });
        agree(which, seed, "col2imImages " + g, SUMS, io -> {
            DeviceBuffer out = io.filled(images * imageSize, 5f);
            io.backend.col2imImages(g, images, io.floats(columns), 0, rowStride, out, 0);
            return io.read(out);
        });
        PoolGeometry p = new PoolGeometry(kernel + random.nextInt(8), kernel + random.nextInt(8), kernel, kernel,
                stride, stride, pad, pad);
        int planes = 1 + random.nextInt(4);
        int outSize = planes * p.outHeight() * p.outWidth();
        float[] x = floats(random, planes * p.height() * p.width(), 3);
        float[] dy = floats(random, outSize, 1);
        for (boolean max : new boolean[] {true, false}) {
            agree(which, seed, (max ? "max" : "average") + " pool2d and backward " + p, max ? EXACT : SUMS, io -> {
                DeviceBuffer y = io.filled(outSize, 0f);
                DeviceBuffer argmax = max ? io.filled(outSize, 0f) : null;
                io.backend.pool2d(p, max, planes, io.floats(x), 0, y, 0, argmax);
                DeviceBuffer dx = io.filled(x.length, 5f);
                io.backend.pool2dBackward(p, max, planes, io.floats(dy), 0, argmax, dx, 0);
                return concat(io.read(y), io.read(dx));
            });
        }
    }

    @ParameterizedTest(name = "{0}, seed {2}")
    @MethodSource("backendsAndSeeds")
    void normalisationsAgree(String name, int which, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int rows = 1 + random.nextInt(12);
        int cols = 2 + random.nextInt(30);
        float[] x = floats(random, rows * cols, 3);
        float[] gamma = floats(random, cols, 1);
        float[] beta = floats(random, cols, 1);
        float[] dy = floats(random, rows * cols, 1);
        agree(which, seed, "layerNorm and backward", SUMS, io -> {
            DeviceBuffer in = io.floats(x);
            DeviceBuffer g = io.floats(gamma);
            DeviceBuffer y = io.filled(rows * cols, 0f);
            DeviceBuffer mean = io.filled(rows, 0f);
            DeviceBuffer rstd = io.filled(rows, 0f);
            io.backend.layerNorm(rows, cols, 1e-5f, in, 0, g, io.floats(beta), y, 0, mean, rstd);
            DeviceBuffer dx = io.filled(rows * cols, 0.5f);
            DeviceBuffer dgamma = io.filled(cols, 0f);
            DeviceBuffer dbeta = io.filled(cols, 0f);
            io.backend.layerNormBackward(rows, cols, io.floats(dy), 0, in, 0, mean, rstd, g, dx, 0, dgamma, dbeta);
            return concat(io.read(y), io.read(mean), io.read(rstd), io.read(dx), io.read(dgamma), io.read(dbeta));
        });
        int n = 2 + random.nextInt(4);
        int channels = 1 + random.nextInt(4);
        int spatial = 1 + random.nextInt(20);
        int size = n * channels * spatial;
        float[] bx = floats(random, size, 3);
        float[] bdy = floats(random, size, 1);
        float[] bgamma = floats(random, channels, 1);
        float[] bbeta = floats(random, channels, 1);
        float[] runningMean = floats(random, channels, 1);
        float[] runningVar = floats(random, channels, 1);
        for (int c = 0; c < channels; c++) {
            runningVar[c] = Math.abs(runningVar[c]) + 0.5f;
        }
        for (boolean training : new boolean[] {true, false}) {
            agree(which, seed, "batchNorm training=" + training + " and backward", SUMS, io -> {
                DeviceBuffer in = io.floats(bx);
                DeviceBuffer g = io.floats(bgamma);
                DeviceBuffer rm = io.floats(runningMean);
                DeviceBuffer rv = io.floats(runningVar);
                DeviceBuffer y = io.filled(size, 0f);
                DeviceBuffer mean = io.filled(channels, 0f);
                DeviceBuffer rstd = io.filled(channels, 0f);
                io.backend.batchNorm(n, channels, spatial, training, 0.1f, 1e-5f, in, 0, g, io.floats(bbeta), rm, rv, y,
                        0, mean, rstd);
                if (!training) {
                    return concat(io.read(y), io.read(rm), io.read(rv));
                }
                DeviceBuffer dx = io.filled(size, 0.25f);
                DeviceBuffer dgamma = io.filled(channels, 0f);
                DeviceBuffer dbeta = io.filled(channels, 0f);
                io.backend.batchNormBackward(n, channels, spatial, io.floats(bdy), 0, in, 0, mean, rstd, g, dx, 0,
                        dgamma, dbeta);
                return concat(io.read(y), io.read(rm), io.read(rv), io.read(mean), io.read(rstd), io.read(dx),
                        io.read(dgamma), io.read(dbeta));
            });
        }
    }

    @ParameterizedTest(name = "{0}, seed {2}")
    @MethodSource("backendsAndSeeds")
    void embeddingsDropoutAndMasksAgree(String name, int which, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int vocabulary = 1 + random.nextInt(20);
        int dim = 1 + random.nextInt(16);
        int count = random.nextInt(40);
        float[] table = floats(random, vocabulary * dim, 1);
        int[] indices = random.ints(count + 1, 0, vocabulary).toArray();
        float[] dout = floats(random, count * dim, 1);
        agree(which, seed, "gather and scatterAdd", SUMS, io -> {
            DeviceBuffer t = io.floats(table);
            DeviceBuffer idx = io.ints(indices);
            DeviceBuffer out = io.filled(count * dim + 1, 0f);
            io.backend.gather(count, dim, t, idx, 1, out, 1);
            DeviceBuffer dtable = io.filled(vocabulary * dim, 0.5f);
            io.backend.scatterAdd(count, dim, io.floats(dout), 0, idx, 1, dtable);
            return concat(io.read(out), io.read(dtable));
        });
        int size = random.nextInt(500);
        float p = random.nextBoolean() ? 0.5f : 0.1f;
        long dropoutSeed = random.nextLong();
        float[] x = floats(random, size + 2, 2);
        agree(which, seed, "dropout (the mask replays from its seed on every backend)", ARITHMETIC, io -> {
            DeviceBuffer y = io.filled(size + 1, 0f);
            DeviceBuffer mask = io.filled(size, 0f);
            io.backend.dropout(size, p, dropoutSeed, io.floats(x), 2, y, 1, mask);
            return concat(io.read(y), io.read(mask));
        });
        int batch = 1 + random.nextInt(3);
        int rows = 1 + random.nextInt(8);
        int cols = rows + random.nextInt(4);
        float[] scores = floats(random, batch * rows * cols + 1, 2);
        agree(which, seed, "causalMask", EXACT, io -> {
            DeviceBuffer s = io.floats(scores);
            io.backend.causalMask(batch, rows, cols, s, 1);
            return io.read(s);
        });
    }

    // ------------------------------------------------------------------ optimizers

    @ParameterizedTest(name = "{0}, seed {2}")
    @MethodSource("backendsAndSeeds")
    void optimizerStepsAgreeInPlaceAndIntoSecondBuffers(String name, int which, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int count = random.nextInt(400);
        float[] param = floats(random, count + 1, 1);
        float[] grad = floats(random, count + 1, 1);
        float[] velocity = floats(random, count, 0.1);
        float[] m = floats(random, count, 0.1);
        float[] v = floats(random, count, 0.01);
        for (int i = 0; i < count; i++) {
            v[i] = Math.abs(v[i]);
        }
        for (boolean inPlace : new boolean[] {true, false}) {
            boolean nesterov = random.nextBoolean();
            float momentum = random.nextBoolean() ? 0f : 0.9f;
            agree(which, seed, "sgdStep momentum=" + momentum + " nesterov=" + nesterov + " inPlace=" + inPlace,
                    ARITHMETIC, io -> {
                        InOut p = io.inOut(param, 1, inPlace);
                        InOut vel = momentum == 0 ? null : io.inOut(velocity, 0, inPlace);
                        io.backend.sgdStep(count, 0.05f, momentum, 0.01f, nesterov && momentum > 0, p,
                                io.floats(grad), 1, vel);
                        return vel == null ? io.read(p.to()) : concat(io.read(p.to()), io.read(vel.to()));
                    });
            boolean decoupled = random.nextBoolean();
            long t = 1 + random.nextInt(100);
            agree(which, seed, "adamStep decoupled=" + decoupled + " t=" + t + " inPlace=" + inPlace, TRANSCENDENTAL,
                    io -> {
                        InOut p = io.inOut(param, 1, inPlace);
                        InOut first = io.inOut(m, 0, inPlace);
                        InOut second = io.inOut(v, 0, inPlace);
                        io.backend.adamStep(count, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, t, p, io.floats(grad),
                                0, first, second);
                        return concat(io.read(p.to()), io.read(first.to()), io.read(second.to()));
                    });
        }
    }

    // ------------------------------------------------------------------ memory

    @Test
    void inCiEveryDeviceBackendIsChecked() {
        if ("true".equals(System.getenv("CI"))) {
            assertThat(backends).extracting(backend -> backend.device().kind())
                    .as("CI installs PoCL and lavapipe: the OpenCL and Vulkan backends must be among those checked")
                    .contains("opencl", "vulkan");
        }
    }

    @Test
    void everyBackendRefusesRangesAndViewsOutsideItsBuffersByName() {
        for (Backend backend : backends) {
            try (DeviceBuffer small = backend.allocate(8); DeviceBuffer other = backend.allocate(8)) {
                assertThatThrownBy(() -> backend.fill(small, 4, 5, 1f)).as(backend.device().name())
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 9)");
                assertThatThrownBy(() -> backend.copy(new int[] {3, 3}, small, 0, new long[] {3, 1}, other, 0,
                        new long[] {3, 1})).as(backend.device().name())
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("copy source");
                assertThatThrownBy(() -> backend.copy(new int[] {2, 2}, small, 0, new long[] {2}, other, 0,
                        new long[] {2, 1})).as(backend.device().name())
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 strides");
                assertThatThrownBy(() -> backend.im2colImages(new ConvGeometry(1, 3, 3, 2, 2, 1, 1, 0, 0), 2, small,
                        0, other, 0, 3)).as(backend.device().name())
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row stride 3");
            }
        }
    }

    @Test
    void aBufferOfAnotherDeviceIsRefusedByName() {
        for (Backend owner : backends) {
            for (Backend other : backends) {
                if (owner.device().kind().equals(other.device().kind())) {
                    continue; // host memory of two CPU backends is one memory
                }
                try (DeviceBuffer buffer = owner.allocate(4)) {
                    assertThatThrownBy(() -> other.fill(buffer, 0, 4, 1f)).as("%s's buffer on %s", owner, other)
                            .isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("another device");
                }
            }
        }
    }

    @Test
    void everyBackendRunsOutOfMemoryAtItsBudgetAndRefusesReleasedBuffers() {
        for (Backend backend : backends) {
            long budgetFloats = backend.memory().budgetBytes() / Float.BYTES;
            assertThatThrownBy(() -> backend.allocate(budgetFloats + 1)).as(backend.device().name())
                    .isInstanceOf(DeviceOutOfMemoryException.class);
            DeviceBuffer buffer = backend.allocate(8);
            buffer.close();
            assertThatThrownBy(() -> backend.fill(buffer, 0, 8, 1f)).as(backend.device().name())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("released");
            assertThat(backend.memory().bytesInUse()).isZero();
        }
    }

    // ------------------------------------------------------------------ the harness

    /** Runs {@code run} on the reference and on backend {@code which}, and compares. */
    private void agree(int which, long seed, String op, Tolerance tolerance, Function<Io, float[]> run) {
        float[] want;
        float[] got;
        try (Io io = new Io(reference)) {
            want = run.apply(io);
        }
        Backend backend = backends.get(which);
        try (Io io = new Io(backend)) {
            got = run.apply(io);
        }
        assertThat(got.length).as("%s: output size", op).isEqualTo(want.length);
        for (int i = 0; i < want.length; i++) {
            float w = want[i];
            float g = got[i];
            double allowed = tolerance.atol() + tolerance.rtol() * Math.abs(w);
            boolean same = Float.compare(w, g) == 0 || (!Float.isNaN(w) && Math.abs((double) g - w) <= allowed);
            if (!same) {
                fail("%s on %s (seed %d): element %d is %s, the reference computes %s (tolerance %s)", op,
                        backend.device().name(), seed, i, g, w, tolerance);
            }
        }
        assertThat(backend.memory().bytesInUse()).as("%s leaves nothing allocated", op).isZero();
    }

    /** Buffers on one backend, released together. */
    private static final class Io implements AutoCloseable {
        final Backend backend;
        private final List<DeviceBuffer> held = new ArrayList<>();

        Io(Backend backend) {
            this.backend = backend;
        }

        DeviceBuffer allocate(int floats) {
            DeviceBuffer buffer = backend.allocate(Math.max(1, floats));
            held.add(buffer);
            if (floats == 0) {
                backend.fill(buffer, 0, 1, 0f); // an empty array's one slot, so that reading it back is defined
            }
            return buffer;
        }

        DeviceBuffer floats(float[] values) {
            DeviceBuffer buffer = allocate(values.length);
            backend.upload(values, 0, buffer, 0, values.length);
            return buffer;
        }

        DeviceBuffer ints(int[] values) {
            DeviceBuffer buffer = allocate(values.length);
            backend.uploadInts(values, 0, buffer, 0, values.length);
            return buffer;
        }

        DeviceBuffer filled(int floats, float value) {
            DeviceBuffer buffer = allocate(floats);
            backend.fill(buffer, 0, Math.max(1, floats), value);
            return buffer;
        }

        InOut inOut(float[] values, long offset, boolean inPlace) {
            DeviceBuffer from = floats(values);
            return inPlace ? InOut.inPlace(from, offset) : new InOut(from, offset, filled(values.length, 0f), offset);
        }

        float[] read(DeviceBuffer buffer) {
            float[] out = new float[(int) buffer.floats()];
            backend.download(buffer, 0, out, 0, out.length);
            return out;
        }

        float[] readIntsAsFloats(DeviceBuffer buffer) {
            int[] out = new int[(int) buffer.floats()];
            backend.downloadInts(buffer, 0, out, 0, out.length);
            float[] asFloats = new float[out.length];
            for (int i = 0; i < out.length; i++) {
                asFloats[i] = out[i];
            }
            return asFloats;
        }

        @Override
        public void close() {
            held.forEach(DeviceBuffer::close);
        }
    }

    private static float[] floats(SplittableRandom random, int count, double scale) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextDouble(-scale, scale);
        }
        return values;
    }

    private static float[] concat(float[]... parts) {
        int length = 0;
        for (float[] part : parts) {
            length += part.length;
        }
        float[] all = new float[length];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    private static long[] contiguous(int[] shape) {
        long[] strides = new long[shape.length];
        long stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    /** Contiguous strides, some set to 0 (broadcast) and some doubled (a strided view). */
    private static long[] broadcast(SplittableRandom random, int[] shape) {
        long[] strides = contiguous(shape);
        for (int d = 0; d < shape.length; d++) {
            int pick = random.nextInt(4);
            if (pick == 0) {
                strides[d] = 0;
            }
        }
        if (random.nextBoolean()) {
            for (int d = 0; d < shape.length; d++) {
                strides[d] *= 2;
            }
        }
        return strides;
    }

    /** @return one past the highest element a view reaches (0 when it is empty) */
    private static int extent(int[] shape, long[] strides) {
        long high = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) {
                return 0;
            }
            high += (shape[d] - 1L) * strides[d];
        }
        return (int) high + 1;
    }
}
