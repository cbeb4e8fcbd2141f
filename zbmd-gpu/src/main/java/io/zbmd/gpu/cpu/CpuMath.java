package io.zbmd.gpu.cpu;

import io.zbmd.gpu.BinaryOp;
import io.zbmd.gpu.UnaryOp;

/**
 * Scalar float math shared by the scalar kernels and the Vector API kernels' tails, so that
 * both compute the same functions.
 */
final class CpuMath {
    // Abramowitz and Stegun 7.1.26: |error| < 1.5e-7 over the reals, enough for float32.
    static final float ERF_P = 0.3275911f;
    static final float ERF_A1 = 0.254829592f;
    static final float ERF_A2 = -0.284496736f;
    static final float ERF_A3 = 1.421413741f;
    static final float ERF_A4 = -1.453152027f;
    static final float ERF_A5 = 1.061405429f;
    static final float INV_SQRT2 = 0.70710678118654752f;
    static final float INV_SQRT_2PI = 0.39894228040143268f;

    // exp: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by Cephes' expf polynomial (about 1 ulp),
    // then times 2^n in two halves, each a normal float for every n the clamp allows. The clamp
    // is wide enough that the products overflow to infinity and underflow to 0 on their own
    // (no comparisons, so no masks in the vector form).
    static final float EXP_HI = 89f; // e^x overflows float from 88.72
    static final float EXP_LO = -110f; // e^x underflows to 0 below -103.98
    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693359375f; // ln 2 = LN2_HI + LN2_LO, LN2_HI exact in few bits
    static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: adding it rounds a float below 2^22 to an integer held in the low mantissa bits. */
    static final float ROUNDER = 12582912f;
    static final float EXP_P0 = 1.9875691500e-4f;
    static final float EXP_P1 = 1.3981999507e-3f;
    static final float EXP_P2 = 8.3334519073e-3f;
    static final float EXP_P3 = 4.1665795894e-2f;
    static final float EXP_P4 = 1.6666665459e-1f;
    static final float EXP_P5 = 5.0000001201e-1f;

    private CpuMath() {}

    /**
     * e^x in basic IEEE operations and fused multiply-adds only, step for step as
     * {@link VectorLanes#exp}: both give the same bits, compiled or interpreted, so the
     * exponential can run in vector lanes and a resumed run still repeats a warm one's steps
     * ({@link Math#exp} has no vector form, and the Vector API's own exp differs between its
     * compiled and interpreted forms). Results below float's least normal value (x under
     * -87.3) are subnormal, as the JDK's, but not correctly rounded.
     */
    static float exp(float x) {
        float c = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float t = Math.fma(c, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        float r = Math.fma(n, -LN2_HI, c);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(EXP_P0, r, EXP_P1);
        p = Math.fma(p, r, EXP_P2);
        p = Math.fma(p, r, EXP_P3);
        p = Math.fma(p, r, EXP_P4);
        p = Math.fma(p, r, EXP_P5);
        float y = Math.fma(p, r * r, r) + 1f;
        int k = Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUNDER);
        int half = k >> 1;
        return y * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((k - half + 127) << 23);
    }

    static float erf(float x) {
        float a = Math.abs(x);
        return erf(x, a, exp(-a * a));
    }

    /** erf(x) given {@code a = |x|} and {@code e = e^(-a²)}, which GELU's gradient needs too. */
    private static float erf(float x, float a, float e) {
        float t = 1f / (1f + ERF_P * a);
        float poly = ((((ERF_A5 * t + ERF_A4) * t + ERF_A3) * t + ERF_A2) * t + ERF_A1) * t;
        return Math.copySign(1f - poly * e, x);
    }

    static float gelu(float x) {
        return 0.5f * x * (1f + erf(x * INV_SQRT2));
    }

    /**
     * d/dx [x·Φ(x)] = Φ(x) + x·φ(x), with one exponential: erf's e^(-a²) at a = |x|/√2 is
     * e^(-x²/2), which φ needs too.
     */
    static float geluGrad(float x) {
        float a = Math.abs(x * INV_SQRT2);
        float e = exp(-a * a);
        float cdf = 0.5f * (1f + erf(x, a, e));
        return cdf + x * (INV_SQRT_2PI * e);
    }

    static float sigmoid(float x) {
        return 1f / (1f + (float) Math.exp(-x));
    }

    static float apply(UnaryOp op, float x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> exp(x);
            case LOG -> (float) Math.log(x);
            case RELU -> x > 0 ? x : 0f;
            case GELU -> gelu(x);
            case TANH -> (float) Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case SQRT -> (float) Math.sqrt(x);
            case SQUARE -> x * x;
            case ABS -> Math.abs(x);
        };
    }

    /** op'(x), from x and the forward output y. */
    static float derivative(UnaryOp op, float x, float y) {
        return switch (op) {
            case NEG -> -1f;
            case EXP -> y;
            case LOG -> 1f / x;
            case RELU -> x > 0 ? 1f : 0f;
            case GELU -> geluGrad(x);
            case TANH -> 1f - y * y;
            case SIGMOID -> y * (1f - y);
            case SQRT -> 0.5f / y;
            case SQUARE -> 2f * x;
            case ABS -> x > 0 ? 1f : x < 0 ? -1f : 0f;
        };
    }

    static float apply(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
        };
    }

    /** Whether {@code op'} needs the forward output. */
    static boolean needsOutput(UnaryOp op) {
        return op == UnaryOp.EXP || op == UnaryOp.TANH || op == UnaryOp.SIGMOID || op == UnaryOp.SQRT;
    }
}
