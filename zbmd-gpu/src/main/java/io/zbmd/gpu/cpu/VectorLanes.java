package io.zbmd.gpu.cpu;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Lanes} on the Vector API, at the machine's preferred width (512-bit on AVX-512).
 * The exponential and GELU run in lanes as {@link CpuMath#exp} and {@link CpuMath#gelu} compute
 * them, operation for operation (see {@link #exactInLanes}); the other transcendentals go per
 * element through {@link CpuMath}. Tails run the scalar formulas.
 *
 * <p>Only loaded when the {@code jdk.incubator.vector} module is present (see
 * {@link CpuKernels#lanes()}).
 */
final class VectorLanes implements Lanes {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Int lanes as many as {@link #S}'s, for indices that travel with float values. */
    private static final VectorSpecies<Integer> IS = S.withLanes(int.class);
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int L = S.length();
    /** Elements summed in float lanes before the partial sum goes into a double. */
    private static final int BLOCK = 4096;

    static final VectorLanes INSTANCE = new VectorLanes();

    private VectorLanes() {}

    @Override
    public String name() {
        return "vector-api-" + S.vectorBitSize();
    }

    private static FloatVector load(MemorySegment s, long index) {
        return FloatVector.fromMemorySegment(S, s, index * Float.BYTES, ORDER);
    }

    private static void store(FloatVector v, MemorySegment s, long index) {
        v.intoMemorySegment(s, index * Float.BYTES, ORDER);
    }

    private static long bound(long n) {
        return n - n % L;
    }

    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private static FloatVector inv(FloatVector x) {
        return ONE.div(x);
    }

    // Constants as vectors, one field each: with the polynomial's coefficients in an array, C2
    // left its multiply-adds to the Vector API's Java fallback (measured: twice the time).
    private static final FloatVector EXP_LO = FloatVector.broadcast(S, CpuMath.EXP_LO);
    private static final FloatVector EXP_HI = FloatVector.broadcast(S, CpuMath.EXP_HI);
    private static final FloatVector LOG2E = FloatVector.broadcast(S, CpuMath.LOG2E);
    private static final FloatVector ROUNDER = FloatVector.broadcast(S, CpuMath.ROUNDER);
    private static final IntVector ROUNDER_BITS = IntVector.broadcast(IS, Float.floatToRawIntBits(CpuMath.ROUNDER));
    private static final IntVector BIAS = IntVector.broadcast(IS, 127);
    private static final IntVector SIGN = IntVector.broadcast(IS, Integer.MIN_VALUE);
    private static final FloatVector MINUS_LN2_HI = FloatVector.broadcast(S, -CpuMath.LN2_HI);
    private static final FloatVector MINUS_LN2_LO = FloatVector.broadcast(S, -CpuMath.LN2_LO);
    private static final FloatVector EXP_P0 = FloatVector.broadcast(S, CpuMath.EXP_P0);
    private static final FloatVector EXP_P1 = FloatVector.broadcast(S, CpuMath.EXP_P1);
    private static final FloatVector EXP_P2 = FloatVector.broadcast(S, CpuMath.EXP_P2);
    private static final FloatVector EXP_P3 = FloatVector.broadcast(S, CpuMath.EXP_P3);
    private static final FloatVector EXP_P4 = FloatVector.broadcast(S, CpuMath.EXP_P4);
    private static final FloatVector EXP_P5 = FloatVector.broadcast(S, CpuMath.EXP_P5);
    private static final FloatVector ERF_P = FloatVector.broadcast(S, CpuMath.ERF_P);
    private static final FloatVector ERF_A1 = FloatVector.broadcast(S, CpuMath.ERF_A1);
    private static final FloatVector ERF_A2 = FloatVector.broadcast(S, CpuMath.ERF_A2);
    private static final FloatVector ERF_A3 = FloatVector.broadcast(S, CpuMath.ERF_A3);
    private static final FloatVector ERF_A4 = FloatVector.broadcast(S, CpuMath.ERF_A4);
    private static final FloatVector ERF_A5 = FloatVector.broadcast(S, CpuMath.ERF_A5);
    private static final FloatVector HALF = FloatVector.broadcast(S, 0.5f);
    private static final FloatVector INV_SQRT2 = FloatVector.broadcast(S, CpuMath.INV_SQRT2);
    private static final FloatVector INV_SQRT_2PI = FloatVector.broadcast(S, CpuMath.INV_SQRT_2PI);

    /** {@link CpuMath#exp}, lane by lane, in the same operations. */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = c.fma(LOG2E, ROUNDER);
        FloatVector n = t.sub(ROUNDER);
        FloatVector r = n.fma(MINUS_LN2_HI, c);
        r = n.fma(MINUS_LN2_LO, r);
        FloatVector p = EXP_P0.fma(r, EXP_P1).fma(r, EXP_P2).fma(r, EXP_P3).fma(r, EXP_P4).fma(r, EXP_P5);
        FloatVector y = p.fma(r.mul(r), r).add(ONE);
        IntVector k = t.viewAsIntegralLanes().sub(ROUNDER_BITS);
        IntVector half = k.lanewise(VectorOperators.ASHR, 1);
        FloatVector low = half.add(BIAS).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
        FloatVector high = k.sub(half).add(BIAS).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
        return y.mul(low).mul(high);
    }

    /** {@link CpuMath#erf}, lane by lane, in the same operations. */
    static FloatVector erf(FloatVector x) {
        FloatVector a = x.abs();
        return erf(x, a, exp(a.neg().mul(a)));
    }

    /** {@link #erf} given {@code a = |x|} and {@code e = e^(-a²)}, as {@code CpuMath}'s. */
    private static FloatVector erf(FloatVector x, FloatVector a, FloatVector e) {
        FloatVector t = ONE.div(a.mul(ERF_P).add(ONE));
        FloatVector poly = t.mul(ERF_A5).add(ERF_A4).mul(t).add(ERF_A3).mul(t).add(ERF_A2).mul(t).add(ERF_A1).mul(t);
        FloatVector magnitude = ONE.sub(poly.mul(e)).abs();
        // Math.copySign(magnitude, x), in bits: no mask
        return magnitude.reinterpretAsInts().or(x.reinterpretAsInts().and(SIGN)).reinterpretAsFloats();
    }

    /** The {@link #exactInLanes} operations only. */
    static FloatVector apply(UnaryOp op, FloatVector x) {
        return switch (op) {
            case NEG -> x.neg();
            case RELU -> x.max(0f);
            case SQRT -> x.lanewise(VectorOperators.SQRT);
            case SQUARE -> x.mul(x);
            case ABS -> x.abs();
            case EXP, GELU, LOG, TANH, SIGMOID -> throw new AssertionError(op + " has a loop of its own");
        };
    }

    /** {@link CpuMath#gelu}, lane by lane. */
    static FloatVector gelu(FloatVector x) {
        return x.mul(HALF).mul(erf(x.mul(INV_SQRT2)).add(ONE));
    }

    /** {@link CpuMath#geluGrad}, lane by lane. */
    static FloatVector geluGrad(FloatVector x) {
        FloatVector a = x.mul(INV_SQRT2).abs();
        FloatVector e = exp(a.neg().mul(a));
        FloatVector cdf = erf(x, a, e).add(ONE).mul(HALF);
        return cdf.add(x.mul(e.mul(INV_SQRT_2PI)));
    }

    /** The {@link #exactInLanes} operations only. */
    static FloatVector derivative(UnaryOp op, FloatVector x, FloatVector y) {
        return switch (op) {
            case NEG -> FloatVector.broadcast(S, -1f);
            case RELU -> FloatVector.zero(S).blend(1f, x.compare(VectorOperators.GT, 0f));
            case EXP -> y;
            case GELU, LOG, TANH, SIGMOID -> throw new AssertionError(op + " has a loop of its own");
            case SQRT -> inv(y).mul(0.5f);
            case SQUARE -> x.mul(2f);
            case ABS -> {
                FloatVector zero = FloatVector.zero(S);
                yield zero.blend(1f, x.compare(VectorOperators.GT, 0f)).blend(-1f, x.compare(VectorOperators.LT, 0f));
            }
        };
    }

    static FloatVector apply(BinaryOp op, FloatVector a, FloatVector b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case MAX -> a.max(b);
            case MIN -> a.min(b);
        };
    }

    /**
     * Whether the Vector API computes {@code op} (and its gradient) alike however far the JIT has
     * got: the exact IEEE operations do, and so do exp and GELU, written here in them
     * ({@link #exp}). The Vector API's own transcendentals do not: compiled code calls SVML,
     * interpreted code a Java fallback, and they differ in the last bit for some inputs, so a
     * run's bits would depend on when its methods were compiled (a resumed run, cold, would not
     * repeat the steps a warm one took). Log, tanh and sigmoid therefore run through
     * {@link CpuMath} per element, which HotSpot computes alike in the interpreter and in
     * compiled code.
     */
    static boolean exactInLanes(UnaryOp op) {
        return switch (op) {
            case NEG, RELU, SQRT, SQUARE, ABS, EXP, GELU -> true;
            case LOG, TANH, SIGMOID -> false;
        };
    }

    @Override
    public void map(UnaryOp op, MemorySegment x, long xi, MemorySegment y, long yi, long n) {
        if (!exactInLanes(op)) {
            ScalarLanes.INSTANCE.map(op, x, xi, y, yi, n);
            return;
        }
        // Exp and GELU loop on their own: inside the shared switch they made it too large for C2
        // to inline the Vector API calls, which then ran their slow Java fallback (measured).
        long end = bound(n);
        long i = 0;
        switch (op) {
            case EXP -> {
                for (; i < end; i += L) {
                    store(exp(load(x, xi + i)), y, yi + i);
                }
            }
            case GELU -> {
                for (; i < end; i += L) {
                    store(gelu(load(x, xi + i)), y, yi + i);
                }
            }
            default -> {
                for (; i < end; i += L) {
                    store(apply(op, load(x, xi + i)), y, yi + i);
                }
            }
        }
        ScalarLanes.INSTANCE.map(op, x, xi + i, y, yi + i, n - i);
    }

    @Override
    public void mapBackward(UnaryOp op, MemorySegment x, long xi, MemorySegment y, long yi, MemorySegment dy,
            long dyi, MemorySegment dx, long dxi, long n) {
        if (!exactInLanes(op)) {
            ScalarLanes.INSTANCE.mapBackward(op, x, xi, y, yi, dy, dyi, dx, dxi, n);
            return;
        }
        long end = bound(n);
        long i = 0;
        if (op == UnaryOp.GELU) {
            for (; i < end; i += L) {
                FloatVector g = load(dy, dyi + i).mul(geluGrad(load(x, xi + i)));
                store(load(dx, dxi + i).add(g), dx, dxi + i);
            }
        }
        boolean useY = CpuMath.needsOutput(op);
        for (; i < end; i += L) {
            FloatVector xv = x == null ? FloatVector.zero(S) : load(x, xi + i);
            FloatVector yv = useY ? load(y, yi + i) : xv;
            FloatVector g = load(dy, dyi + i).mul(derivative(op, xv, yv));
            store(load(dx, dxi + i).add(g), dx, dxi + i);
        }
        ScalarLanes.INSTANCE.mapBackward(op, x, xi + i, y, yi + i, dy, dyi + i, dx, dxi + i, n - i);
    }

    @Override
    public void zip(BinaryOp op, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment out, long oi,
            long n) {
        long i = 0;
        for (long end = bound(n); i < end; i += L) {
            store(apply(op, load(a, ai + i), load(b, bi + i)), out, oi + i);
        }
        ScalarLanes.INSTANCE.zip(op, a, ai + i, b, bi + i, out, oi + i, n - i);
    }

    @Override
    public void zipScalar(BinaryOp op, MemorySegment a, long ai, float s, boolean scalarFirst, MemorySegment out,
            long oi, long n) {
        FloatVector sv = FloatVector.broadcast(S, s);
        long i = 0;
        for (long end = bound(n); i < end; i += L) {
            FloatVector av = load(a, ai + i);
            store(scalarFirst ? apply(op, sv, av) : apply(op, av, sv), out, oi + i);
        }
        ScalarLanes.INSTANCE.zipScalar(op, a, ai + i, s, scalarFirst, out, oi + i, n - i);
    }

    @Override
    public void axpy(float alpha, MemorySegment x, long xi, MemorySegment y, long yi, long n) {
        long i = 0;
        for (long end = bound(n); i < end; i += L) {
            store(load(x, xi + i).fma(FloatVector.broadcast(S, alpha), load(y, yi + i)), y, yi + i);
        }
        ScalarLanes.INSTANCE.axpy(alpha, x, xi + i, y, yi + i, n - i);
    }

    @Override
    public void scale(float alpha, MemorySegment x, long xi, long n) {
        long i = 0;
        for (long end = bound(n); i < end; i += L) {
            store(load(x, xi + i).mul(alpha), x, xi + i);
        }
        ScalarLanes.INSTANCE.scale(alpha, x, xi + i, n - i);
    }

    @Override
    public void fill(MemorySegment x, long xi, long n, float value) {
        FloatVector v = FloatVector.broadcast(S, value);
        long i = 0;
        for (long end = bound(n); i < end; i += L) {
            store(v, x, xi + i);
        }
        ScalarLanes.INSTANCE.fill(x, xi + i, n - i, value);
    }

    /**
     * The lanes' sum in lane order, in double. Not {@code reduceLanes(ADD)}: the Vector API
     * leaves the order of a floating-point add reduction unspecified (HotSpot's intrinsic and
     * the Java code that runs before it is compiled may add in different orders). With it, a
     * restored training run drifted from the run it continued by a last bit, depending on the
     * JVM's history; with this, it does not (TrainingStateTest). A fixed order costs a few
     * adds per 4096-element block.
     */
    private static double orderedSum(FloatVector v) {
        double sum = 0;
        for (int lane = 0; lane < L; lane++) {
            sum += v.lane(lane);
        }
        return sum;
    }

    @Override
    public double sum(MemorySegment x, long xi, long n) {
        double total = 0;
        long i = 0;
        for (long end = n - n % (2L * L); i < end; ) {
            FloatVector acc0 = FloatVector.zero(S);
            FloatVector acc1 = FloatVector.zero(S);
            for (long blockEnd = Math.min(end, i + BLOCK); i < blockEnd; i += 2L * L) {
                acc0 = acc0.add(load(x, xi + i));
                acc1 = acc1.add(load(x, xi + i + L));
            }
            total += orderedSum(acc0) + orderedSum(acc1);
        }
        return total + ScalarLanes.INSTANCE.sum(x, xi + i, n - i);
    }

    @Override
    public float max(MemorySegment x, long xi, long n) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        long i = 0;
        for (long end = bound(n); i < end; i += L) {
            acc = acc.max(load(x, xi + i));
        }
        return Math.max(acc.reduceLanes(VectorOperators.MAX), ScalarLanes.INSTANCE.max(x, xi + i, n - i));
    }

    @Override
    public double sumOfSquares(MemorySegment x, long xi, long n) {
        return sumOfSquaredDeviations(x, xi, 0f, n);
    }

    @Override
    public double sumOfSquaredDeviations(MemorySegment x, long xi, float center, long n) {
        double total = 0;
        long i = 0;
        for (long end = bound(n); i < end; ) {
            FloatVector acc = FloatVector.zero(S);
            for (long blockEnd = Math.min(end, i + BLOCK); i < blockEnd; i += L) {
                FloatVector d = load(x, xi + i).sub(center);
                acc = d.fma(d, acc);
            }
            total += orderedSum(acc);
        }
        return total + ScalarLanes.INSTANCE.sumOfSquaredDeviations(x, xi + i, center, n - i);
    }

    @Override
    public double dotCentered(MemorySegment a, long ai, MemorySegment b, long bi, float center, long n) {
        double total = 0;
        long i = 0;
        for (long end = bound(n); i < end; ) {
            FloatVector acc = FloatVector.zero(S);
            for (long blockEnd = Math.min(end, i + BLOCK); i < blockEnd; i += L) {
                acc = load(a, ai + i).fma(load(b, bi + i).sub(center), acc);
            }
            total += orderedSum(acc);
        }
        return total + ScalarLanes.INSTANCE.dotCentered(a, ai + i, b, bi + i, center, n - i);
    }

    @Override
    public void normalize(MemorySegment x, long xi, float center, float scale, float shift, MemorySegment y, long yi,
            long n) {
        long i = 0;
        for (long end = bound(n); i < end; i += L) {
            store(load(x, xi + i).sub(center).fma(scale, shift), y, yi + i);
        }
        ScalarLanes.INSTANCE.normalize(x, xi + i, center, scale, shift, y, yi + i, n - i);
    }

    @Override
    public void accumulateCombination(float alpha, MemorySegment a, long ai, float beta, MemorySegment b, long bi,
            float center, float gamma, MemorySegment y, long yi, long n) {
        long i = 0;
        for (long end = bound(n); i < end; i += L) {
            FloatVector value = load(y, yi + i).add(load(a, ai + i).mul(alpha))
                    .add(load(b, bi + i).sub(center).mul(beta)).add(gamma);
            store(value, y, yi + i);
        }
        ScalarLanes.INSTANCE.accumulateCombination(alpha, a, ai + i, beta, b, bi + i, center, gamma, y, yi + i, n - i);
    }

    @Override
    public void sgd(float lr, float momentum, float weightDecay, boolean nesterov, MemorySegment p, long pi,
            MemorySegment po, long poi, MemorySegment g, long gi, MemorySegment v, long vi, MemorySegment vo,
            long voi, long n) {
        long i = 0;
        for (long end = bound(n); i < end; i += L) {
            FloatVector param = load(p, pi + i);
            FloatVector grad = param.mul(weightDecay).add(load(g, gi + i));
            FloatVector step = grad;
            if (momentum != 0f) {
                FloatVector velocity = load(v, vi + i).mul(momentum).add(grad);
                store(velocity, vo, voi + i);
                step = nesterov ? velocity.mul(momentum).add(grad) : velocity;
            }
            store(param.sub(step.mul(lr)), po, poi + i);
        }
        ScalarLanes.INSTANCE.sgd(lr, momentum, weightDecay, nesterov, p, pi + i, po, poi + i, g, gi + i, v,
                v == null ? 0 : vi + i, vo, vo == null ? 0 : voi + i, n - i);
    }

    @Override
    public void adam(float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, float c1,
            float c2, MemorySegment p, long pi, MemorySegment po, long poi, MemorySegment g, long gi, MemorySegment m,
            long mi, MemorySegment mo, long moi, MemorySegment v, long vi, MemorySegment vo, long voi, long n) {
        float stepSize = lr / c1;
        float invSqrtC2 = 1f / (float) Math.sqrt(c2);
        long i = 0;
        for (long end = bound(n); i < end; i += L) {
            FloatVector param = load(p, pi + i);
            FloatVector grad = load(g, gi + i);
            if (decoupled) {
                param = param.mul(1f - lr * weightDecay);
            } else {
                grad = param.mul(weightDecay).add(grad);
            }
            FloatVector mv = load(m, mi + i).mul(beta1).add(grad.mul(1f - beta1));
            FloatVector vv = load(v, vi + i).mul(beta2).add(grad.mul(grad).mul(1f - beta2));
            store(mv, mo, moi + i);
            store(vv, vo, voi + i);
            FloatVector denom = vv.lanewise(VectorOperators.SQRT).mul(invSqrtC2).add(eps);
            store(param.sub(mv.mul(stepSize).div(denom)), po, poi + i);
        }
        ScalarLanes.INSTANCE.adam(lr, beta1, beta2, eps, weightDecay, decoupled, c1, c2, p, pi + i, po, poi + i, g,
                gi + i, m, mi + i, mo, moi + i, v, vi + i, vo, voi + i, n - i);
    }

    /**
     * Gathers the four values of {@link #L} windows at once and keeps the scalar rule with
     * compares and blends: the same results as {@link ScalarLanes}, without its branches,
     * which mispredict often on real activations (scalar pooling was 5× slower than a ReLU).
     */
    @Override
    public void maxPool2x2(float[] in, int width, int[] corners, float[] out, int[] best, int n) {
        int o = 0;
        for (int end = n - n % L; o < end; o += L) {
            IntVector first = IntVector.fromArray(IS, corners, o);
            FloatVector top = FloatVector.fromArray(S, in, 0, corners, o);
            IntVector index = first;
            FloatVector v = FloatVector.fromArray(S, in, 1, corners, o);
            VectorMask<Float> greater = v.compare(VectorOperators.GT, top);
            top = top.blend(v, greater);
            index = index.blend(first.add(1), greater.cast(IS));
            v = FloatVector.fromArray(S, in, width, corners, o);
            greater = v.compare(VectorOperators.GT, top);
            top = top.blend(v, greater);
            index = index.blend(first.add(width), greater.cast(IS));
            v = FloatVector.fromArray(S, in, width + 1, corners, o);
            greater = v.compare(VectorOperators.GT, top);
            top = top.blend(v, greater);
            index = index.blend(first.add(width + 1), greater.cast(IS));
            top.intoArray(out, o);
            index.intoArray(best, o);
        }
        ScalarLanes.maxPool2x2(in, width, corners, out, best, o, n);
    }
}
