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

    private CpuMath() {}

    static float erf(float x) {
        float sign = Math.signum(x);
        float a = Math.abs(x);
        float t = 1f / (1f + ERF_P * a);
        float poly = ((((ERF_A5 * t + ERF_A4) * t + ERF_A3) * t + ERF_A2) * t + ERF_A1) * t;
        return sign * (1f - poly * (float) Math.exp(-a * a));
    }

    static float gelu(float x) {
        return 0.5f * x * (1f + erf(x * INV_SQRT2));
    }

    /** d/dx [x·Φ(x)] = Φ(x) + x·φ(x). */
    static float geluGrad(float x) {
        float cdf = 0.5f * (1f + erf(x * INV_SQRT2));
        float pdf = INV_SQRT_2PI * (float) Math.exp(-0.5f * x * x);
        return cdf + x * pdf;
    }

    static float sigmoid(float x) {
        return 1f / (1f + (float) Math.exp(-x));
    }

    static float apply(UnaryOp op, float x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> (float) Math.exp(x);
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
