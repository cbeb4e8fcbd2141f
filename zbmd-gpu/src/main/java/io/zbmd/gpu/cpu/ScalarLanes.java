package io.zbmd.gpu.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.UnaryOp;
import java.lang.foreign.MemorySegment;

/**
 * {@link Lanes} in plain loops: the fallback where the Vector API module is absent, and the
 * reference the vector kernels are tested against. Simple counted loops over segments, which
 * C2 unrolls and, for the arithmetic ones, vectorises on its own.
 */
final class ScalarLanes implements Lanes {
    static final ScalarLanes INSTANCE = new ScalarLanes();

    private ScalarLanes() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void map(UnaryOp op, MemorySegment x, long xi, MemorySegment y, long yi, long n) {
        switch (op) {
            case RELU -> {
                for (long i = 0; i < n; i++) {
                    float v = x.getAtIndex(JAVA_FLOAT, xi + i);
                    y.setAtIndex(JAVA_FLOAT, yi + i, v > 0 ? v : 0f);
                }
            }
            case NEG -> {
                for (long i = 0; i < n; i++) {
                    y.setAtIndex(JAVA_FLOAT, yi + i, -x.getAtIndex(JAVA_FLOAT, xi + i));
                }
            }
            case SQUARE -> {
                for (long i = 0; i < n; i++) {
                    float v = x.getAtIndex(JAVA_FLOAT, xi + i);
                    y.setAtIndex(JAVA_FLOAT, yi + i, v * v);
                }
            }
            default -> {
                for (long i = 0; i < n; i++) {
                    y.setAtIndex(JAVA_FLOAT, yi + i, CpuMath.apply(op, x.getAtIndex(JAVA_FLOAT, xi + i)));
                }
            }
        }
    }

    @Override
    public void mapBackward(UnaryOp op, MemorySegment x, long xi, MemorySegment y, long yi, MemorySegment dy,
            long dyi, MemorySegment dx, long dxi, long n) {
        boolean useY = CpuMath.needsOutput(op);
        for (long i = 0; i < n; i++) {
            float xv = x == null ? 0f : x.getAtIndex(JAVA_FLOAT, xi + i);
            float yv = useY ? y.getAtIndex(JAVA_FLOAT, yi + i) : 0f;
            float g = dy.getAtIndex(JAVA_FLOAT, dyi + i) * CpuMath.derivative(op, xv, yv);
            dx.setAtIndex(JAVA_FLOAT, dxi + i, dx.getAtIndex(JAVA_FLOAT, dxi + i) + g);
        }
    }

    @Override
    public void zip(BinaryOp op, MemorySegment a, long ai, MemorySegment b, long bi, MemorySegment out, long oi,
            long n) {
        switch (op) {
            case ADD -> {
                for (long i = 0; i < n; i++) {
                    out.setAtIndex(JAVA_FLOAT, oi + i, a.getAtIndex(JAVA_FLOAT, ai + i) + b.getAtIndex(JAVA_FLOAT, bi + i));
                }
            }
            case MUL -> {
                for (long i = 0; i < n; i++) {
                    out.setAtIndex(JAVA_FLOAT, oi + i, a.getAtIndex(JAVA_FLOAT, ai + i) * b.getAtIndex(JAVA_FLOAT, bi + i));
                }
            }
            default -> {
                for (long i = 0; i < n; i++) {
                    out.setAtIndex(JAVA_FLOAT, oi + i,
                            CpuMath.apply(op, a.getAtIndex(JAVA_FLOAT, ai + i), b.getAtIndex(JAVA_FLOAT, bi + i)));
                }
            }
        }
    }

    @Override
    public void zipScalar(BinaryOp op, MemorySegment a, long ai, float s, boolean scalarFirst, MemorySegment out,
            long oi, long n) {
        for (long i = 0; i < n; i++) {
            float v = a.getAtIndex(JAVA_FLOAT, ai + i);
            out.setAtIndex(JAVA_FLOAT, oi + i, scalarFirst ? CpuMath.apply(op, s, v) : CpuMath.apply(op, v, s));
        }
    }

    @Override
    public void axpy(float alpha, MemorySegment x, long xi, MemorySegment y, long yi, long n) {
        for (long i = 0; i < n; i++) {
            y.setAtIndex(JAVA_FLOAT, yi + i, y.getAtIndex(JAVA_FLOAT, yi + i) + alpha * x.getAtIndex(JAVA_FLOAT, xi + i));
        }
    }

    @Override
    public void scale(float alpha, MemorySegment x, long xi, long n) {
        for (long i = 0; i < n; i++) {
            x.setAtIndex(JAVA_FLOAT, xi + i, x.getAtIndex(JAVA_FLOAT, xi + i) * alpha);
        }
    }

    @Override
    public void fill(MemorySegment x, long xi, long n, float value) {
        for (long i = 0; i < n; i++) {
            x.setAtIndex(JAVA_FLOAT, xi + i, value);
        }
    }

    @Override
    public double sum(MemorySegment x, long xi, long n) {
        double total = 0;
        for (long i = 0; i < n; i++) {
            total += x.getAtIndex(JAVA_FLOAT, xi + i);
        }
        return total;
    }

    @Override
    public float max(MemorySegment x, long xi, long n) {
        float best = Float.NEGATIVE_INFINITY;
        for (long i = 0; i < n; i++) {
            best = Math.max(best, x.getAtIndex(JAVA_FLOAT, xi + i));
        }
        return best;
    }

    @Override
    public double sumOfSquares(MemorySegment x, long xi, long n) {
        double total = 0;
        for (long i = 0; i < n; i++) {
            double v = x.getAtIndex(JAVA_FLOAT, xi + i);
            total += v * v;
        }
        return total;
    }

    @Override
    public double sumOfSquaredDeviations(MemorySegment x, long xi, float center, long n) {
        double total = 0;
        for (long i = 0; i < n; i++) {
            double d = x.getAtIndex(JAVA_FLOAT, xi + i) - center;
            total += d * d;
        }
        return total;
    }

    @Override
    public double dotCentered(MemorySegment a, long ai, MemorySegment b, long bi, float center, long n) {
        double total = 0;
        for (long i = 0; i < n; i++) {
            total += (double) a.getAtIndex(JAVA_FLOAT, ai + i) * (b.getAtIndex(JAVA_FLOAT, bi + i) - center);
        }
        return total;
    }

    @Override
    public void normalize(MemorySegment x, long xi, float center, float scale, float shift, MemorySegment y, long yi,
            long n) {
        for (long i = 0; i < n; i++) {
            y.setAtIndex(JAVA_FLOAT, yi + i, Math.fma(x.getAtIndex(JAVA_FLOAT, xi + i) - center, scale, shift));
        }
    }

    @Override
    public void accumulateCombination(float alpha, MemorySegment a, long ai, float beta, MemorySegment b, long bi,
            float center, float gamma, MemorySegment y, long yi, long n) {
        for (long i = 0; i < n; i++) {
            float value = y.getAtIndex(JAVA_FLOAT, yi + i) + a.getAtIndex(JAVA_FLOAT, ai + i) * alpha
                    + (b.getAtIndex(JAVA_FLOAT, bi + i) - center) * beta + gamma;
            y.setAtIndex(JAVA_FLOAT, yi + i, value);
        }
    }

    @Override
    public void sgd(float lr, float momentum, float weightDecay, boolean nesterov, MemorySegment p, long pi,
            MemorySegment po, long poi, MemorySegment g, long gi, MemorySegment v, long vi, MemorySegment vo,
            long voi, long n) {
        for (long i = 0; i < n; i++) {
            float param = p.getAtIndex(JAVA_FLOAT, pi + i);
            float grad = g.getAtIndex(JAVA_FLOAT, gi + i) + weightDecay * param;
            float step = grad;
            if (momentum != 0f) {
                float velocity = momentum * v.getAtIndex(JAVA_FLOAT, vi + i) + grad;
                vo.setAtIndex(JAVA_FLOAT, voi + i, velocity);
                step = nesterov ? grad + momentum * velocity : velocity;
            }
            po.setAtIndex(JAVA_FLOAT, poi + i, param - lr * step);
        }
    }

    @Override
    public void adam(float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled, float c1,
            float c2, MemorySegment p, long pi, MemorySegment po, long poi, MemorySegment g, long gi, MemorySegment m,
            long mi, MemorySegment mo, long moi, MemorySegment v, long vi, MemorySegment vo, long voi, long n) {
        float stepSize = lr / c1;
        float sqrtC2 = (float) Math.sqrt(c2);
        for (long i = 0; i < n; i++) {
            float param = p.getAtIndex(JAVA_FLOAT, pi + i);
            float grad = g.getAtIndex(JAVA_FLOAT, gi + i);
            if (decoupled) {
                param -= lr * weightDecay * param;
            } else {
                grad += weightDecay * param;
            }
            float mv = beta1 * m.getAtIndex(JAVA_FLOAT, mi + i) + (1f - beta1) * grad;
            float vv = beta2 * v.getAtIndex(JAVA_FLOAT, vi + i) + (1f - beta2) * grad * grad;
            mo.setAtIndex(JAVA_FLOAT, moi + i, mv);
            vo.setAtIndex(JAVA_FLOAT, voi + i, vv);
            float denom = (float) Math.sqrt(vv) / sqrtC2 + eps;
            po.setAtIndex(JAVA_FLOAT, poi + i, param - stepSize * mv / denom);
        }
    }

    @Override
    public void maxPool2x2(float[] in, int width, int[] corners, float[] out, int[] best, int n) {
        maxPool2x2(in, width, corners, out, best, 0, n);
    }

    /** {@link #maxPool2x2(float[], int, int[], float[], int[], int)} from output {@code from} on. */
    static void maxPool2x2(float[] in, int width, int[] corners, float[] out, int[] best, int from, int n) {
        for (int o = from; o < n; o++) {
            int i0 = corners[o];
            int i2 = i0 + width;
            float top = in[i0];
            int index = i0;
            if (in[i0 + 1] > top) {
                top = in[i0 + 1];
                index = i0 + 1;
            }
            if (in[i2] > top) {
                top = in[i2];
                index = i2;
            }
            if (in[i2 + 1] > top) {
                top = in[i2 + 1];
                index = i2 + 1;
            }
            out[o] = top;
            best[o] = index;
        }
    }
}
