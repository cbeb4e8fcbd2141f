package io.zbmd.gpu.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.ReduceOp;
import io.zbmd.gpu.cpu.internal.ComputeWorkers;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The CPU's strided kernels (copies, broadcast element-wise ops, reductions over any axes)
 * on top of {@link Lanes} for the contiguous runs. Dimensions are first coalesced (adjacent
 * dimensions that are contiguous for every operand become one), so that a broadcast over a
 * contiguous tensor runs as a few long loops rather than many short ones.
 *
 * <p><b>Threads.</b> The element-wise runs (unary maps and their gradients but for the
 * transcendental ones, axpy, scale, fill, the optimizer updates) are cut into one contiguous part per thread, each a multiple
 * of the vector length except the last, so that every element is computed by the same code
 * path (vector body or scalar tail) as on one thread: the result is the same, bit for bit,
 * whatever the thread count. Runs shorter than {@link #PARALLEL_MIN} elements per thread stay
 * on the calling thread, where waking a worker would cost more than it saves.
 *
 * <p>Thread-safe.
 */
public final class CpuKernels implements AutoCloseable {
    private static final boolean VECTOR_API_PRESENT =
            ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /** Elements per part below which an element-wise run does not split (256 KiB of floats). */
    static final long PARALLEL_MIN = 1 << 16;
    /** Part boundaries are multiples of this many elements: a vector length or more, a cache line. */
    private static final long PART_ALIGN = 16;

    private final Lanes lanes;
    /** Null on one thread. */
    private final ComputeWorkers workers;

    private CpuKernels(Lanes lanes, ComputeWorkers workers) {
        this.lanes = lanes;
        this.workers = workers;
    }

    /**
     * @param useVectorApi whether to use the Vector API (ignored, falling back to scalar
     *     loops, when the module is absent)
     * @return single-threaded kernels
     */
    public static CpuKernels create(boolean useVectorApi) {
        return create(useVectorApi, 1);
    }

    /**
     * @param useVectorApi as {@link #create(boolean)}
     * @param threads threads per call, the caller's included ({@code threads - 1} workers
     *     start now; {@link #close} stops them)
     * @return the kernels
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public static CpuKernels create(boolean useVectorApi, int threads) {
        Lanes lanes = useVectorApi && VECTOR_API_PRESENT ? vectorLanes() : ScalarLanes.INSTANCE;
        return new CpuKernels(lanes, threads == 1 ? null : new ComputeWorkers(threads));
    }

    /** Lets idle workers park at once instead of spinning ({@link ComputeWorkers#quiesce()}). */
    public void quiesce() {
        if (workers != null) {
            workers.quiesce();
        }
    }

    /** Stops the workers; later calls run on the caller alone. Idempotent. */
    @Override
    public void close() {
        if (workers != null) {
            workers.close();
        }
    }

    /** Elements {@code [from, to)} of a run. */
    @FunctionalInterface
    interface Range {
        void run(long from, long to);
    }

    /**
     * Runs {@code body} over {@code [0, n)}: on the caller alone for short runs, else cut into
     * contiguous parts, one per thread, at multiples of {@link #PART_ALIGN}.
     */
    void split(long n, Range body, MemorySegment... segments) {
        int parts = parts(n, PARALLEL_MIN);
        if (parts == 1 || !workers.accessible(segments)) {
            body.run(0, n);
            return;
        }
        long part = Math.ceilDiv(Math.ceilDiv(n, parts), PART_ALIGN) * PART_ALIGN;
        workers.run(parts, index -> {
            long from = index * part;
            long to = Math.min(n, from + part);
            if (from < to) {
                body.run(from, to);
            }
        });
    }

    /**
     * Runs {@code body} for every item in {@code [0, items)} (channels, planes), the items cut
     * into one contiguous group per thread when each thread gets at least
     * {@link #PARALLEL_MIN} elements ({@code elementsPerItem} each); each item is computed
     * wholly by one thread, as on one thread.
     */
    void forEach(int items, long elementsPerItem, IntRange body, MemorySegment... segments) {
        int parts = Math.min(items, parts((long) items * elementsPerItem, PARALLEL_MIN));
        if (parts <= 1 || !workers.accessible(segments)) {
            body.run(0, items);
            return;
        }
        int group = Math.ceilDiv(items, parts);
        workers.run(parts, index -> {
            int from = index * group;
            int to = Math.min(items, from + group);
            if (from < to) {
                body.run(from, to);
            }
        });
    }

    /**
     * @return whether two segments may share memory: their address ranges meet (heap segments
     *     of different arrays may count as meeting: a false alarm only costs the threads)
     */
    static boolean overlap(MemorySegment x, MemorySegment y) {
        return x.address() < y.address() + y.byteSize() && y.address() < x.address() + x.byteSize();
    }

    /** Items {@code [from, to)}. */
    @FunctionalInterface
    interface IntRange {
        void run(int from, int to);
    }

    private int parts(long elements, long minPerPart) {
        if (workers == null) {
            return 1;
        }
        return (int) Math.max(1, Math.min(workers.threads(), elements / minPerPart));
    }

    /** Kept apart so that VectorLanes is only loaded when the module is there. */
    private static Lanes vectorLanes() {
        return VectorLanes.INSTANCE;
    }

    /** @return whether the Vector API module is present in this JVM */
    public static boolean vectorApiPresent() {
        return VECTOR_API_PRESENT;
    }

    /** @return the contiguous-run implementation in use ("vector-api-512" or "scalar") */
    public String lanesName() {
        return lanes.name();
    }

    Lanes lanes() {
        return lanes;
    }

    // ------------------------------------------------------------------ contiguous runs

    /** @see Lanes#map */
    public void map(io.zbmd.gpu.UnaryOp op, MemorySegment x, long xi, MemorySegment y, long yi, long n) {
        split(n, (from, to) -> lanes.map(op, x, xi + from, y, yi + from, to - from), x, y);
    }

    /** @see Lanes#mapBackward */
    public void mapBackward(io.zbmd.gpu.UnaryOp op, MemorySegment x, long xi, MemorySegment y, long yi,
            MemorySegment dy, long dyi, MemorySegment dx, long dxi, long n) {
        split(n, (from, to) -> lanes.mapBackward(op, x, xi + from, y, yi + from, dy, dyi + from, dx, dxi + from,
                to - from), x, y, dy, dx);
    }

    /** @see Lanes#axpy */
    public void axpy(float alpha, MemorySegment x, long xi, MemorySegment y, long yi, long n) {
        split(n, (from, to) -> lanes.axpy(alpha, x, xi + from, y, yi + from, to - from), x, y);
    }

    /** @see Lanes#scale */
    public void scale(float alpha, MemorySegment x, long xi, long n) {
        split(n, (from, to) -> lanes.scale(alpha, x, xi + from, to - from), x);
    }

    /** @see Lanes#fill */
    public void fill(MemorySegment x, long xi, long n, float value) {
        split(n, (from, to) -> lanes.fill(x, xi + from, to - from, value), x);
    }

    /** @see Lanes#sumOfSquares */
    public double sumOfSquares(MemorySegment x, long xi, long n) {
        return lanes.sumOfSquares(x, xi, n);
    }

    /** @see Lanes#sgd */
    public void sgd(float lr, float momentum, float weightDecay, boolean nesterov, MemorySegment p, long pi,
            MemorySegment po, long poi, MemorySegment g, long gi, MemorySegment v, long vi, MemorySegment vo,
            long voi, long n) {
        split(n, (from, to) -> lanes.sgd(lr, momentum, weightDecay, nesterov, p, pi + from, po, poi + from, g,
                gi + from, v, vi + from, vo, voi + from, to - from), p, po, g, v, vo);
    }

    /** @see Lanes#adam */
    public void adam(float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, float c1,
            float c2, MemorySegment p, long pi, MemorySegment po, long poi, MemorySegment g, long gi, MemorySegment m,
            long mi, MemorySegment mo, long moi, MemorySegment v, long vi, MemorySegment vo, long voi, long n) {
        split(n, (from, to) -> lanes.adam(lr, beta1, beta2, eps, weightDecay, decoupled, c1, c2, p, pi + from, po,
                poi + from, g, gi + from, m, mi + from, mo, moi + from, v, vi + from, vo, voi + from, to - from),
                p, po, g, m, mo, v, vo);
    }

    // ------------------------------------------------------------------ coalescing

    /** A strided iteration over a shape, for up to three operands, after coalescing. */
    record Plan(int[] shape, long[][] strides) {
        int rank() {
            return shape.length;
        }

        long count() {
            long total = 1;
            for (int d : shape) {
                total *= d;
            }
            return total;
        }
    }

    /** Drops size-1 dimensions and merges dimensions contiguous for every operand. */
    static Plan coalesce(int[] shape, long[]... strides) {
        int rank = shape.length;
        int[] outShape = new int[rank];
        long[][] out = new long[strides.length][rank];
        int kept = 0;
        for (int d = 0; d < rank; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (kept > 0 && mergeable(shape, strides, d, out, kept - 1, outShape)) {
                outShape[kept - 1] *= shape[d];
                for (int o = 0; o < strides.length; o++) {
                    out[o][kept - 1] = strides[o][d];
                }
            } else {
                outShape[kept] = shape[d];
                for (int o = 0; o < strides.length; o++) {
                    out[o][kept] = strides[o][d];
                }
                kept++;
            }
        }
        if (kept == 0) {
            return new Plan(new int[] {1}, zeros(strides.length));
        }
        long[][] trimmed = new long[strides.length][];
        for (int o = 0; o < strides.length; o++) {
            trimmed[o] = Arrays.copyOf(out[o], kept);
        }
        return new Plan(Arrays.copyOf(outShape, kept), trimmed);
    }

    private static boolean mergeable(int[] shape, long[][] strides, int d, long[][] out, int previous,
            int[] outShape) {
        for (int o = 0; o < strides.length; o++) {
            if (out[o][previous] != strides[o][d] * shape[d]) {
                return false;
            }
        }
        return true;
    }

    private static long[][] zeros(int operands) {
        long[][] z = new long[operands][1];
        return z;
    }

    /** Advances a multi-index over all dimensions but the last; false when done. */
    private static boolean next(int[] index, int[] shape) {
        for (int d = shape.length - 2; d >= 0; d--) {
            if (++index[d] < shape[d]) {
                return true;
            }
            index[d] = 0;
        }
        return false;
    }

    private static long offset(long base, int[] index, long[] strides) {
        long offset = base;
        for (int d = 0; d < index.length - 1; d++) {
            offset += index[d] * strides[d];
        }
        return offset;
    }

    // ------------------------------------------------------------------ copy and element-wise

    /**
     * Strided copy of a view into another of the same shape. With more than one dimension left
     * after coalescing, the outermost one is spread over the threads when source and target
     * do not share memory (views of one buffer might overlap, and the order of the copy would
     * then matter).
     */
    public void copy(int[] shape, MemorySegment src, long srcOffset, long[] srcStrides, MemorySegment dst,
            long dstOffset, long[] dstStrides) {
        Plan plan = coalesce(shape, srcStrides, dstStrides);
        if (plan.rank() < 2 || overlap(src, dst)) {
            copy(plan, 0, plan.rank() < 2 ? 1 : plan.shape()[0], src, srcOffset, dst, dstOffset);
            return;
        }
        int outer = plan.shape()[0];
        forEach(outer, plan.count() / outer, (first, end) -> copy(plan, first, end, src, srcOffset, dst, dstOffset),
                src, dst);
    }

    /** The copy of outermost indices {@code [first, end)} (all of a one-dimensional plan). */
    private static void copy(Plan plan, int first, int end, MemorySegment src, long srcOffset, MemorySegment dst,
            long dstOffset) {
        int last = plan.rank() - 1;
        int n = plan.shape()[last];
        long ss = plan.strides()[0][last];
        long ds = plan.strides()[1][last];
        int[] index = new int[plan.rank()];
        if (last > 0) {
            index[0] = first;
        }
        do {
            long s = offset(srcOffset, index, plan.strides()[0]);
            long t = offset(dstOffset, index, plan.strides()[1]);
            if (ss == 1 && ds == 1) {
                MemorySegment.copy(src, s * Float.BYTES, dst, t * Float.BYTES, (long) n * Float.BYTES);
            } else {
                for (int i = 0; i < n; i++) {
                    dst.setAtIndex(JAVA_FLOAT, t + i * ds, src.getAtIndex(JAVA_FLOAT, s + i * ss));
                }
            }
        } while (next(index, plan.shape()) && (last == 0 || index[0] < end));
    }

    /** Broadcast element-wise {@code out = a op b}. */
    public void binary(BinaryOp op, int[] shape, MemorySegment a, long aOffset, long[] aStrides, MemorySegment b,
            long bOffset, long[] bStrides, MemorySegment out, long outOffset, long[] outStrides) {
        Plan plan = coalesce(shape, aStrides, bStrides, outStrides);
        if (plan.count() == 0) {
            return; // an empty view: nothing to compute (and no rows to split among threads)
        }
        long[][] strides = plan.strides();
        // Threads only where no thread can read what another writes: the output is a buffer of
        // its own, or exactly the view it reads in place (a += b).
        boolean separate = (!overlap(a, out) || a.address() == out.address() && aOffset == outOffset
                        && Arrays.equals(strides[0], strides[2]))
                && (!overlap(b, out) || b.address() == out.address() && bOffset == outOffset
                        && Arrays.equals(strides[1], strides[2]));
        if (!separate) {
            binary(op, plan, 0, plan.rank() < 2 ? 1 : plan.shape()[0], a, aOffset, b, bOffset, out, outOffset);
        } else if (plan.rank() < 2) {
            long as = strides[0][0];
            long bs = strides[1][0];
            long os = strides[2][0];
            split(plan.shape()[0], (from, to) -> binary(op, new Plan(new int[] {(int) (to - from)}, strides), 0, 1, a,
                    aOffset + from * as, b, bOffset + from * bs, out, outOffset + from * os), a, b, out);
        } else {
            int outer = plan.shape()[0];
            forEach(outer, plan.count() / outer, (first, end) -> binary(op, plan, first, end, a, aOffset, b, bOffset,
                    out, outOffset), a, b, out);
        }
    }

    /** {@code out = a op b} over outermost indices {@code [first, end)} (all of a one-dimensional plan). */
    private void binary(BinaryOp op, Plan plan, int first, int end, MemorySegment a, long aOffset, MemorySegment b,
            long bOffset, MemorySegment out, long outOffset) {
        int last = plan.rank() - 1;
        int n = plan.shape()[last];
        long as = plan.strides()[0][last];
        long bs = plan.strides()[1][last];
        long os = plan.strides()[2][last];
        int[] index = new int[plan.rank()];
        if (last > 0) {
            index[0] = first;
        }
        do {
            long ai = offset(aOffset, index, plan.strides()[0]);
            long bi = offset(bOffset, index, plan.strides()[1]);
            long oi = offset(outOffset, index, plan.strides()[2]);
            if (os == 1 && as == 1 && bs == 1) {
                lanes.zip(op, a, ai, b, bi, out, oi, n);
            } else if (os == 1 && as == 1 && bs == 0) {
                lanes.zipScalar(op, a, ai, b.getAtIndex(JAVA_FLOAT, bi), false, out, oi, n);
            } else if (os == 1 && as == 0 && bs == 1) {
                lanes.zipScalar(op, b, bi, a.getAtIndex(JAVA_FLOAT, ai), true, out, oi, n);
            } else {
                for (int i = 0; i < n; i++) {
                    float v = CpuMath.apply(op, a.getAtIndex(JAVA_FLOAT, ai + i * as), b.getAtIndex(JAVA_FLOAT, bi + i * bs));
                    out.setAtIndex(JAVA_FLOAT, oi + i * os, v);
                }
            }
        } while (next(index, plan.shape()) && (last == 0 || index[0] < end));
    }

    // ------------------------------------------------------------------ reductions

    /**
     * Reduces over the dimensions where {@code outStrides} is 0. SUM accumulates in double
     * precision per output element, in a fixed order.
     */
    public void reduce(ReduceOp op, int[] shape, MemorySegment x, long xOffset, long[] xStrides, MemorySegment out,
            long outOffset, long[] outStrides, boolean accumulate, MemorySegment argmax) {
        if (op == ReduceOp.SUM) {
            Plan plan = coalesce(shape, xStrides, outStrides);
            if (sumFastPath(plan, x, xOffset, out, outOffset, accumulate)
                    || rowSums(plan, x, xOffset, out, outOffset, accumulate)) {
                return;
            }
        }
        int rank = shape.length;
        long outCount = 1;
        for (int d = 0; d < rank; d++) {
            if (outStrides[d] != 0) {
                outCount *= shape[d];
            }
        }
        if (outCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("reduction output too large: " + outCount + " elements");
        }
        double[] sums = op == ReduceOp.SUM ? new double[(int) outCount] : null;
        float[] best = op == ReduceOp.MAX ? new float[(int) outCount] : null;
        int[] bestIndex = op == ReduceOp.MAX ? new int[(int) outCount] : null;
        if (best != null) {
            Arrays.fill(best, Float.NEGATIVE_INFINITY);
        }
        long[] outDense = denseStrides(shape, outStrides);
        int[] index = new int[rank];
        long flat = 0;
        long total = 1;
        for (int d : shape) {
            total *= d;
        }
        for (long e = 0; e < total; e++, flat++) {
            long xi = xOffset;
            int oi = 0;
            for (int d = 0; d < rank; d++) {
                xi += index[d] * xStrides[d];
                oi += (int) (index[d] * outDense[d]);
            }
            float v = x.getAtIndex(JAVA_FLOAT, xi);
            if (sums != null) {
                sums[oi] += v;
            } else if (v > best[oi] || (Float.isNaN(v) && !Float.isNaN(best[oi]))) {
                best[oi] = v;
                bestIndex[oi] = (int) flat;
            }
            for (int d = rank - 1; d >= 0 && ++index[d] == shape[d]; d--) {
                index[d] = 0;
            }
        }
        writeReduced(shape, outStrides, outDense, out, outOffset, accumulate, sums, best, bestIndex, argmax);
    }

    /**
     * The two sums every training step does, on contiguous input: over the rows of a matrix
     * (a bias gradient: {@code [n, c] -> [c]}) and along each row ({@code [r, n] -> [r]}, a
     * total being one row).
     */
    private boolean sumFastPath(Plan plan, MemorySegment x, long xOffset, MemorySegment out, long outOffset,
            boolean accumulate) {
        long[] xs = plan.strides()[0];
        long[] os = plan.strides()[1];
        if (plan.rank() == 1 && xs[0] == 1 && os[0] == 0) {
            storeSum(out, outOffset, lanes.sum(x, xOffset, plan.shape()[0]), accumulate);
            return true;
        }
        if (plan.rank() != 2 || xs[1] != 1 || xs[0] != plan.shape()[1]) {
            return false;
        }
        int rows = plan.shape()[0];
        int cols = plan.shape()[1];
        if (os[0] == 0 && os[1] == 1) {
            if (!accumulate) {
                lanes.fill(out, outOffset, cols, 0f);
            }
            for (int r = 0; r < rows; r++) {
                lanes.axpy(1f, x, xOffset + (long) r * cols, out, outOffset, cols);
            }
            return true;
        }
        if (os[0] != 0 && os[1] == 0) {
            for (int r = 0; r < rows; r++) {
                storeSum(out, outOffset + r * os[0], lanes.sum(x, xOffset + (long) r * cols, cols), accumulate);
            }
            return true;
        }
        return false;
    }

    private static void storeSum(MemorySegment out, long index, double sum, boolean accumulate) {
        float value = (float) sum;
        if (accumulate) {
            value += out.getAtIndex(JAVA_FLOAT, index);
        }
        out.setAtIndex(JAVA_FLOAT, index, value);
    }

    /**
     * Any sum whose innermost dimension is contiguous and reduced, such as a convolution's
     * bias gradient ({@code [n, c, h·w] -> [c]}): each innermost run is summed on the lanes,
     * then the run sums are added per output in a fixed order.
     */
    private boolean rowSums(Plan plan, MemorySegment x, long xOffset, MemorySegment out, long outOffset,
            boolean accumulate) {
        int last = plan.rank() - 1;
        long[] xs = plan.strides()[0];
        long[] os = plan.strides()[1];
        if (xs[last] != 1 || os[last] != 0) {
            return false;
        }
        int[] shape = plan.shape();
        long[] outDense = denseStrides(shape, os);
        long outCount = 1;
        for (int d = 0; d < shape.length; d++) {
            outCount *= os[d] != 0 ? shape[d] : 1;
        }
        if (outCount > Integer.MAX_VALUE) {
            return false;
        }
        double[] sums = new double[(int) outCount];
        int n = shape[last];
        int[] index = new int[shape.length];
        do {
            sums[(int) offset(0, index, outDense)] += lanes.sum(x, offset(xOffset, index, xs), n);
        } while (next(index, shape));
        writeReduced(shape, os, outDense, out, outOffset, accumulate, sums, null, null, null);
        return true;
    }

    /** Strides of the output as a dense row-major array over the kept dimensions. */
    private static long[] denseStrides(int[] shape, long[] outStrides) {
        long[] dense = new long[shape.length];
        long stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (outStrides[d] != 0) {
                dense[d] = stride;
                stride *= shape[d];
            }
        }
        return dense;
    }

    private static void writeReduced(int[] shape, long[] outStrides, long[] outDense, MemorySegment out,
            long outOffset, boolean accumulate, double[] sums, float[] best, int[] bestIndex, MemorySegment argmax) {
        int rank = shape.length;
        int count = sums != null ? sums.length : best.length;
        int[] index = new int[rank];
        for (int o = 0; o < count; o++) {
            long position = outOffset;
            long remainder = o;
            for (int d = 0; d < rank; d++) {
                if (outStrides[d] != 0) {
                    index[d] = (int) (remainder / outDense[d]);
                    remainder %= outDense[d];
                    position += index[d] * outStrides[d];
                }
            }
            float value = sums != null ? (float) sums[o] : best[o];
            if (accumulate) {
                value += out.getAtIndex(JAVA_FLOAT, position);
            }
            out.setAtIndex(JAVA_FLOAT, position, value);
            if (argmax != null && bestIndex != null) {
                argmax.setAtIndex(JAVA_INT, o, bestIndex[o]);
            }
        }
    }

    /** Row-wise argmax of a contiguous {@code rows × cols} matrix, into int32. */
    public void argmaxRows(int rows, int cols, MemorySegment x, long xOffset, MemorySegment out, long outOffset) {
        for (int r = 0; r < rows; r++) {
            long base = xOffset + (long) r * cols;
            int bestColumn = 0;
            float best = x.getAtIndex(JAVA_FLOAT, base);
            for (int c = 1; c < cols; c++) {
                float v = x.getAtIndex(JAVA_FLOAT, base + c);
                if (v > best) {
                    best = v;
                    bestColumn = c;
                }
            }
            out.setAtIndex(JAVA_INT, outOffset + r, bestColumn);
        }
    }
}
