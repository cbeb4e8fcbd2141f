package io.zbmd.gpu.cpu;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.UnaryOp;
import java.lang.foreign.MemorySegment;

/**
 * The hot loops over contiguous float32 runs, in two implementations: {@link VectorLanes}
 * on the Vector API (when the {@code jdk.incubator.vector} module is present) and
 * {@link ScalarLanes} in plain loops the JIT can vectorise. Both compute the same functions;
 * sums may differ in the last bits (different association), each is deterministic.
 *
 * <p>Offsets and counts are in elements. Stateless and thread-safe.
 */
interface Lanes {

    /** @return "vector-api-512", "scalar", ... */
    String name();

    void map(UnaryOp op, MemorySegment x, long xi, MemorySegment y, long yi, long n);

    /** {@code dx += dy · op'(x)} (y may be null where op' does not need it). */
    void mapBackward(UnaryOp op, MemorySegment x, long xi, MemorySegment y, long yi, MemorySegment dy, long dyi,
            MemorySegment dx, long dxi, long n);

    /** {@code out = a op b}, all contiguous. */
    void zip(BinaryOp op, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment out, long oi, long n);

    /** {@code out = a op s} (or {@code s op a} when {@code scalarFirst}). */
    void zipScalar(BinaryOp op, MemorySegment a, long ai, float s, boolean scalarFirst, MemorySegment out, long oi,
            long n);

    /** {@code y += alpha · x}. */
    void axpy(float alpha, MemorySegment x, long xi, MemorySegment y, long yi, long n);

    /** {@code x *= alpha}. */
    void scale(float alpha, MemorySegment x, long xi, long n);

    void fill(MemorySegment x, long xi, long n, float value);

    /** @return {@code Σ x}; sums of long runs are exact to double precision across blocks */
    double sum(MemorySegment x, long xi, long n);

    float max(MemorySegment x, long xi, long n);

    double sumOfSquares(MemorySegment x, long xi, long n);

    /** @return {@code Σ (x − center)²} */
    double sumOfSquaredDeviations(MemorySegment x, long xi, float center, long n);

    /** @return {@code Σ a · (b − center)} */
    double dotCentered(MemorySegment a, long ai, MemorySegment b, long bi, float center, long n);

    /** {@code y = (x − center) · scale + shift}. */
    void normalize(MemorySegment x, long xi, float center, float scale, float shift, MemorySegment y, long yi, long n);

    /** {@code y += alpha · a + beta · (b − center) + gamma}. */
    void accumulateCombination(float alpha, MemorySegment a, long ai, float beta, MemorySegment b, long bi,
            float center, float gamma, MemorySegment y, long yi, long n);

    /**
     * 2×2, stride-2 max pooling of one plane held on the heap: output {@code o} is the largest
     * of {@code in[c], in[c + 1], in[c + width], in[c + width + 1]} for {@code c = corners[o]},
     * taken in that order with a strict comparison (the first of equal maxima wins; a NaN wins
     * only from the first place), and {@code best[o]} is its index in {@code in}.
     *
     * @param n outputs
     */
    void maxPool2x2(float[] in, int width, int[] corners, float[] out, int[] best, int n);

    /**
     * One SGD step, reading {@code p, v} and writing {@code po, vo} (the same segment and
     * index for in place, or not overlapping); {@code v, vo} may be null when
     * {@code momentum == 0}.
     */
    void sgd(float lr, float momentum, float weightDecay, boolean nesterov, MemorySegment p, long pi,
            MemorySegment po, long poi, MemorySegment g, long gi, MemorySegment v, long vi, MemorySegment vo,
            long voi, long n);

    /**
     * One Adam step with precomputed bias corrections {@code c1 = 1 - beta1^t},
     * {@code c2 = 1 - beta2^t}, reading {@code p, m, v} and writing {@code po, mo, vo} (each
     * the same segment and index for in place, or not overlapping).
     */
    void adam(float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, float c1, float c2,
            MemorySegment p, long pi, MemorySegment po, long poi, MemorySegment g, long gi, MemorySegment m, long mi,
            MemorySegment mo, long moi, MemorySegment v, long vi, MemorySegment vo, long voi, long n);
}
