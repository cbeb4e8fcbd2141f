package io.zbmd.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.testing.Seeds;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Strided copy, binary and reduce kernels against a plain index-by-index reference, on
 * random views: permuted (transposed) layouts, offsets, broadcast (stride 0) operands and
 * strided outputs, on both the Vector API and the scalar backend.
 */
class StridedKernelsPropertyTest {
    static CpuBackend vector;
    static CpuBackend scalar;

    @BeforeAll
    static void start() {
        CpuConfig config = CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20);
        vector = CpuBackend.create(config);
        scalar = CpuBackend.create(config.withVectorApi(false));
    }

    @AfterAll
    static void stop() {
        vector.close();
        scalar.close();
    }

    static Stream<Long> seeds() {
        return Seeds.of(40);
    }

    /** A view of {@code shape} over a buffer: a random dimension order, then an offset. */
    private record View(int[] shape, long[] strides, long offset, int bufferLength) {
        static View random(SplittableRandom r, int[] shape, boolean broadcast) {
            int rank = shape.length;
            int[] order = permutation(r, rank);
            long[] strides = new long[rank];
            long stride = 1;
            for (int k = rank - 1; k >= 0; k--) {
                int d = order[k];
                boolean zero = broadcast && r.nextInt(3) == 0;
                strides[d] = zero ? 0 : stride;
                stride *= zero ? 1 : shape[d] + r.nextInt(2); // sometimes a gap between rows
            }
            long offset = r.nextInt(5);
            return new View(shape, strides, offset, Math.toIntExact(offset + stride));
        }

        long at(int[] index) {
            long position = offset;
            for (int d = 0; d < index.length; d++) {
                position += index[d] * strides[d];
            }
            return position;
        }
    }

    private static int[] permutation(SplittableRandom r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static int[] randomShape(SplittableRandom r) {
        int[] shape = new int[1 + r.nextInt(4)];
        for (int d = 0; d < shape.length; d++) {
            shape[d] = 1 + r.nextInt(r.nextInt(4) == 0 ? 40 : 6);
        }
        return shape;
    }

    /** Calls {@code body} with every index of {@code shape}, last dimension fastest. */
    private static void forEachIndex(int[] shape, Consumer<int[]> body) {
        int[] index = new int[shape.length];
        long count = 1;
        for (int s : shape) {
            count *= s;
        }
        for (long n = 0; n < count; n++) {
            body.accept(index);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return v;
    }

    private static DeviceBuffer upload(Backend backend, float[] values) {
        DeviceBuffer buffer = backend.allocate(values.length);
        backend.upload(values, 0, buffer, 0, values.length);
        return buffer;
    }

    private static float[] download(Backend backend, DeviceBuffer buffer, int n) {
        float[] values = new float[n];
        backend.download(buffer, 0, values, 0, n);
        return values;
    }

    private static float apply(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
        };
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void binaryAndCopyMatchTheReference(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] shape = randomShape(r);
        View a = View.random(r, shape, true);
        View b = View.random(r, shape, true);
        View out = View.random(r, shape, false);
        float[] av = random(r, a.bufferLength());
        float[] bv = random(r, b.bufferLength());
        BinaryOp op = BinaryOp.values()[r.nextInt(BinaryOp.values().length)];
        float[] expected = new float[out.bufferLength()];
        float[] copied = new float[out.bufferLength()];
        forEachIndex(shape, index -> {
            expected[(int) out.at(index)] = apply(op, av[(int) a.at(index)], bv[(int) b.at(index)]);
            copied[(int) out.at(index)] = av[(int) a.at(index)];
        });
        for (CpuBackend backend : new CpuBackend[] {vector, scalar}) {
            String what = op + " over " + Arrays.toString(shape) + " on " + backend.device().name() + ", "
                    + Seeds.replay(seed);
            try (DeviceBuffer ab = upload(backend, av);
                    DeviceBuffer bb = upload(backend, bv);
                    DeviceBuffer ob = upload(backend, new float[out.bufferLength()])) {
                backend.binary(op, shape, ab, a.offset(), a.strides(), bb, b.offset(), b.strides(), ob, out.offset(),
                        out.strides());
                assertThat(download(backend, ob, out.bufferLength())).as(what).containsExactly(expected);
                backend.copy(shape, ab, a.offset(), a.strides(), ob, out.offset(), out.strides());
                assertThat(download(backend, ob, out.bufferLength())).as("copy, " + what).containsExactly(copied);
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void reductionsMatchTheReference(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] shape = randomShape(r);
        View x = View.random(r, shape, false);
        // The output is contiguous over the kept dimensions and broadcasts (stride 0) over the reduced ones.
        boolean[] reduced = new boolean[shape.length];
        long[] outStrides = new long[shape.length];
        long size = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            reduced[d] = r.nextBoolean();
            outStrides[d] = reduced[d] ? 0 : size;
            size *= reduced[d] ? 1 : shape[d];
        }
        int outLength = (int) size;
        float[] xv = random(r, x.bufferLength());
        float[] initial = random(r, outLength);
        double[] sum = new double[outLength];
        float[] max = new float[outLength];
        int[] argmax = new int[outLength];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        int[] flat = {0};
        forEachIndex(shape, index -> {
            int o = 0;
            for (int d = 0; d < shape.length; d++) {
                o += (int) (index[d] * outStrides[d]);
            }
            float value = xv[(int) x.at(index)];
            sum[o] += value;
            if (value > max[o]) {
                max[o] = value;
                argmax[o] = flat[0];
            }
            flat[0]++;
        });
        for (CpuBackend backend : new CpuBackend[] {vector, scalar}) {
            String what = "reduce " + Arrays.toString(shape) + " over " + Arrays.toString(reduced)
                    + " on " + backend.device().name() + ", " + Seeds.replay(seed);
            try (DeviceBuffer xb = upload(backend, xv);
                    DeviceBuffer sums = upload(backend, initial);
                    DeviceBuffer maxes = upload(backend, new float[outLength]);
                    DeviceBuffer indices = backend.allocate(outLength)) {
                backend.reduce(ReduceOp.SUM, shape, xb, x.offset(), x.strides(), sums, 0, outStrides, true, null);
                backend.reduce(ReduceOp.MAX, shape, xb, x.offset(), x.strides(), maxes, 0, outStrides, false, indices);
                float[] gotSums = download(backend, sums, outLength);
                int[] gotIndices = new int[outLength];
                backend.downloadInts(indices, 0, gotIndices, 0, outLength);
                for (int o = 0; o < outLength; o++) {
                    assertThat((double) gotSums[o]).as("sum %d, %s", o, what)
                            .isCloseTo(initial[o] + sum[o], within(1e-5));
                }
                assertThat(download(backend, maxes, outLength)).as("max, " + what).containsExactly(max);
                assertThat(gotIndices).as("argmax, " + what).containsExactly(argmax);
            }
        }
    }
}
