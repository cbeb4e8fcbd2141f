package io.zbmd.ml.tensor;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.testing.Seeds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every operation's gradient against finite differences, for random shapes (broadcasting
 * edge cases included) drawn from a seed that assertion messages print.
 */
class GradientTest {
    static CpuBackend backend;

    @BeforeAll
    static void start() {
        backend = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(256L << 20));
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    static Stream<Long> seeds() {
        return Seeds.of(12);
    }

    private static GradCheck check(String op, long seed) {
        return new GradCheck(backend, op + ", " + Seeds.replay(seed), seed);
    }

    private static int[] randomShape(SplittableRandom r, int maxRank, int maxSize) {
        int[] shape = new int[1 + r.nextInt(maxRank)];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = 1 + r.nextInt(maxSize);
        }
        return shape;
    }

    /** A shape that broadcasts with {@code base}: fewer leading dimensions, some sizes 1. */
    private static int[] broadcastPartner(SplittableRandom r, int[] base) {
        int rank = 1 + r.nextInt(base.length);
        int[] shape = Arrays.copyOfRange(base, base.length - rank, base.length);
        for (int i = 0; i < shape.length; i++) {
            if (r.nextInt(3) == 0) {
                shape[i] = 1;
            }
        }
        return shape;
    }

    private static void unaryCase(long seed, String name, Function<Tensor, Tensor> f, double low, double high) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] shape = randomShape(r, 3, 5);
        GradCheck g = check(name, seed);
        g.check(in -> f.apply(in.getFirst()), List.of(g.values(shape, low, high)), List.of(shape));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void broadcastingArithmetic(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (BinaryOp op : List.of(BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV)) {
            int[] a = randomShape(r, 4, 4);
            int[] b = broadcastPartner(r, a);
            if (r.nextBoolean()) {
                int[] swap = a;
                a = b;
                b = swap;
            }
            GradCheck g = check(op + " " + Arrays.toString(a) + " with " + Arrays.toString(b), seed);
            Function<List<Tensor>, Tensor> f = switch (op) {
                case ADD -> in -> in.get(0).add(in.get(1));
                case SUB -> in -> in.get(0).sub(in.get(1));
                case MUL -> in -> in.get(0).mul(in.get(1));
                default -> in -> in.get(0).div(in.get(1));
            };
            g.check(f, List.of(g.values(a, -2, 2), g.values(b, 0.5, 2)), List.of(a, b));
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void scalarArithmetic(long seed) {
        unaryCase(seed, "x * 3 + 1 - 0.5", x -> x.mul(3f).add(1f).sub(0.5f).div(2f), -2, 2);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void elementWiseFunctions(long seed) {
        unaryCase(seed, "exp", Tensor::exp, -2, 2);
        unaryCase(seed, "log", Tensor::log, 0.5, 3);
        unaryCase(seed, "relu", Tensor::relu, 0.1, 2);
        unaryCase(seed + 1, "relu (negative side)", Tensor::relu, -2, -0.1);
        unaryCase(seed, "gelu", Tensor::gelu, -3, 3);
        unaryCase(seed, "tanh", Tensor::tanh, -2, 2);
        unaryCase(seed, "sigmoid", Tensor::sigmoid, -3, 3);
        unaryCase(seed, "sqrt", Tensor::sqrt, 0.5, 4);
        unaryCase(seed, "square", Tensor::square, -2, 2);
        unaryCase(seed, "abs", Tensor::abs, 0.2, 2);
        unaryCase(seed, "neg", Tensor::neg, -2, 2);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void reductions(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] shape = randomShape(r, 4, 4);
        int dim = r.nextInt(shape.length);
        boolean keep = r.nextBoolean();
        GradCheck g = check("sum/mean/max over " + dim + " of " + Arrays.toString(shape), seed);
        g.check(in -> in.getFirst().sum(keep, dim), List.of(g.values(shape, -1, 1)), List.of(shape));
        g.check(in -> in.getFirst().mean(keep, dim), List.of(g.values(shape, -1, 1)), List.of(shape));
        g.check(in -> in.getFirst().sum().reshape(1), List.of(g.values(shape, -1, 1)), List.of(shape));
        float[] distinct = distinctValues(r, shape);
        g.check(in -> in.getFirst().max(dim, keep), List.of(distinct), List.of(shape));
    }

    /** Values far enough apart that a max does not flip within the finite-difference step. */
    private static float[] distinctValues(SplittableRandom r, int[] shape) {
        int n = Math.toIntExact(Shape.numel(shape));
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(r.nextLong()));
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = order.get(i) * 0.1f;
        }
        return v;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void matrixProducts(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int m = 1 + r.nextInt(5);
        int k = 1 + r.nextInt(5);
        int n = 1 + r.nextInt(5);
        int batch = 1 + r.nextInt(3);
        GradCheck g = check("matmul m=" + m + " k=" + k + " n=" + n + " batch=" + batch, seed);
        g.check(in -> in.get(0).matmul(in.get(1)), List.of(g.values(new int[] {m, k}, -1, 1),
                g.values(new int[] {k, n}, -1, 1)), List.of(new int[] {m, k}, new int[] {k, n}));
        g.check(in -> in.get(0).matmul(in.get(1)), List.of(g.values(new int[] {batch, m, k}, -1, 1),
                g.values(new int[] {batch, k, n}, -1, 1)), List.of(new int[] {batch, m, k}, new int[] {batch, k, n}));
        g.check(in -> in.get(0).matmul(in.get(1)), List.of(g.values(new int[] {batch, m, k}, -1, 1),
                g.values(new int[] {k, n}, -1, 1)), List.of(new int[] {batch, m, k}, new int[] {k, n}));
        g.check(in -> in.get(0).matmul(in.get(1)), List.of(g.values(new int[] {m, k}, -1, 1),
                g.values(new int[] {batch, k, n}, -1, 1)), List.of(new int[] {m, k}, new int[] {batch, k, n}));
        // Transposed views go to the GEMM without a copy.
        g.check(in -> in.get(0).transpose(0, 1).matmul(in.get(1).transpose(0, 1)),
                List.of(g.values(new int[] {k, m}, -1, 1), g.values(new int[] {n, k}, -1, 1)),
                List.of(new int[] {k, m}, new int[] {n, k}));
        // Vectors: a row on the left, a column on the right.
        g.check(in -> in.get(0).matmul(in.get(1)), List.of(g.values(new int[] {k}, -1, 1),
                g.values(new int[] {batch, k, n}, -1, 1)), List.of(new int[] {k}, new int[] {batch, k, n}));
        g.check(in -> in.get(0).matmul(in.get(1)), List.of(g.values(new int[] {m, k}, -1, 1),
                g.values(new int[] {k}, -1, 1)), List.of(new int[] {m, k}, new int[] {k}));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void softmaxes(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] shape = randomShape(r, 3, 6);
        GradCheck g = check("softmax " + Arrays.toString(shape), seed);
        g.check(in -> in.getFirst().softmax(-1), List.of(g.values(shape, -2, 2)), List.of(shape));
        g.check(in -> in.getFirst().logSoftmax(-1), List.of(g.values(shape, -2, 2)), List.of(shape));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void views(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int a = 2 + r.nextInt(3);
        int b = 2 + r.nextInt(3);
        int c = 2 + r.nextInt(3);
        int[] shape = {a, b, c};
        GradCheck g = check("views of " + Arrays.toString(shape), seed);
        float[] x = g.values(shape, -1, 1);
        g.check(in -> in.getFirst().reshape(a * b, c).mul(2f), List.of(x), List.of(shape));
        g.check(in -> in.getFirst().transpose(0, 2).contiguous().mul(in.getFirst().transpose(0, 2)), List.of(x),
                List.of(shape));
        g.check(in -> in.getFirst().permute(1, 2, 0).reshape(-1).square(), List.of(x), List.of(shape));
        g.check(in -> in.getFirst().slice(1, 1, b).tanh(), List.of(x), List.of(shape));
        g.check(in -> in.getFirst().unsqueeze(1).flatten(1).exp(), List.of(x), List.of(shape));
        // A tensor used twice: the gradients of both uses add up.
        g.check(in -> in.getFirst().mul(in.getFirst()).add(in.getFirst()), List.of(x), List.of(shape));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void losses(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 1 + r.nextInt(6);
        int classes = 2 + r.nextInt(6);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = r.nextInt(classes);
        }
        float smoothing = r.nextBoolean() ? 0f : 0.1f;
        GradCheck g = check("cross-entropy " + rows + "x" + classes + " smoothing " + smoothing, seed);
        g.check(in -> F.crossEntropy(in.getFirst(), Tensors.ofInts(labels, rows), smoothing).reshape(1),
                List.of(g.values(new int[] {rows, classes}, -3, 3)), List.of(new int[] {rows, classes}));
        int[] shape = randomShape(r, 3, 4);
        g.check(in -> F.mse(in.get(0), in.get(1)).reshape(1), List.of(g.values(shape, -1, 1), g.values(shape, -1, 1)),
                List.of(shape, shape));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void convolutionAndPooling(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1 + r.nextInt(2);
        int c = 1 + r.nextInt(2);
        int h = 4 + r.nextInt(3);
        int w = 4 + r.nextInt(3);
        int out = 1 + r.nextInt(3);
        int kernel = 1 + r.nextInt(3);
        int stride = 1 + r.nextInt(2);
        int padding = r.nextInt(2);
        int[] xShape = {n, c, h, w};
        int[] wShape = {out, c, kernel, kernel};
        GradCheck g = check("conv2d " + Arrays.toString(xShape) + " * " + Arrays.toString(wShape) + " stride " + stride
                + " padding " + padding, seed);
        g.check(in -> F.conv2d(in.get(0), in.get(1), in.get(2), stride, padding),
                List.of(g.values(xShape, -1, 1), g.values(wShape, -1, 1), g.values(new int[] {out}, -1, 1)),
                List.of(xShape, wShape, new int[] {out}));
        g.check(in -> F.maxPool2d(in.getFirst(), 2, 2, 0), List.of(distinctValues(r, xShape)), List.of(xShape));
        g.check(in -> F.avgPool2d(in.getFirst(), 2, stride, padding), List.of(g.values(xShape, -1, 1)), List.of(xShape));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void normalisationDropoutEmbedding(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 2 + r.nextInt(4);
        int cols = 2 + r.nextInt(5);
        int[] x = {rows, cols};
        GradCheck g = check("layer norm / batch norm / dropout " + Arrays.toString(x), seed).tolerance(5e-2);
        g.check(in -> F.layerNorm(in.get(0), in.get(1), in.get(2), 1e-5f),
                List.of(g.values(x, -2, 2), g.values(new int[] {cols}, 0.5, 1.5), g.values(new int[] {cols}, -1, 1)),
                List.of(x, new int[] {cols}, new int[] {cols}));
        int[] image = {rows, 2, 3, 3};
        g.check(in -> F.batchNorm(in.get(0), in.get(1), in.get(2), Tensors.zeros(2), Tensors.ones(2), true, 0.1f, 1e-5f),
                List.of(g.values(image, -2, 2), g.values(new int[] {2}, 0.5, 1.5), g.values(new int[] {2}, -1, 1)),
                List.of(image, new int[] {2}, new int[] {2}));
        g.check(in -> F.batchNorm(in.get(0), in.get(1), in.get(2), Tensors.full(0.3f, 2), Tensors.full(2f, 2), false,
                0.1f, 1e-5f), List.of(g.values(image, -2, 2), g.values(new int[] {2}, 0.5, 1.5),
                g.values(new int[] {2}, -1, 1)), List.of(image, new int[] {2}, new int[] {2}));
        long dropSeed = r.nextLong();
        g.check(in -> F.dropout(in.getFirst(), 0.3f, true, dropSeed), List.of(g.values(x, -1, 1)), List.of(x));
        int vocabulary = 5;
        int[] indices = {r.nextInt(vocabulary), r.nextInt(vocabulary), r.nextInt(vocabulary), 0};
        g.check(in -> F.embedding(Tensors.ofInts(indices, 2, 2), in.getFirst()),
                List.of(g.values(new int[] {vocabulary, cols}, -1, 1)), List.of(new int[] {vocabulary, cols}));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void attentionAndLinear(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int batch = 1 + r.nextInt(2);
        int time = 2 + r.nextInt(3);
        int dim = 2 + r.nextInt(3);
        boolean causal = r.nextBoolean();
        int[] shape = {batch, time, dim};
        GradCheck g = check("attention " + Arrays.toString(shape) + " causal " + causal, seed);
        g.check(in -> F.scaledDotProductAttention(in.get(0), in.get(1), in.get(2), causal),
                List.of(g.values(shape, -1, 1), g.values(shape, -1, 1), g.values(shape, -1, 1)),
                List.of(shape, shape, shape));
        int out = 1 + r.nextInt(4);
        g.check(in -> F.linear(in.get(0), in.get(1), in.get(2)),
                List.of(g.values(shape, -1, 1), g.values(new int[] {out, dim}, -1, 1), g.values(new int[] {out}, -1, 1)),
                List.of(shape, new int[] {out, dim}, new int[] {out}));
    }
}
