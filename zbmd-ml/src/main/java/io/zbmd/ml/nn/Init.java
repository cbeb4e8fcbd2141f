package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.Tensors;
import java.util.SplittableRandom;

/**
 * Seeded weight initialisation, as PyTorch's {@code torch.nn.init}. {@code fanIn} and
 * {@code fanOut} are computed as PyTorch does ({@code [out, in, ...]} weights).
 */
public final class Init {
    private Init() {}

    /** @return inputs per output unit: in · receptive field */
    public static int fanIn(int... shape) {
        int receptive = 1;
        for (int d = 2; d < shape.length; d++) {
            receptive *= shape[d];
        }
        return shape.length < 2 ? shape[0] : shape[1] * receptive;
    }

    /** @return outputs per input unit: out · receptive field */
    public static int fanOut(int... shape) {
        int receptive = 1;
        for (int d = 2; d < shape.length; d++) {
            receptive *= shape[d];
        }
        return shape[0] * receptive;
    }

    /**
     * Kaiming (He) uniform with negative slope {@code a}: bound √(6 / ((1 + a²) fanIn)). With
     * a = √5 this is PyTorch's default for linear and convolution weights, U(-1/√fanIn, 1/√fanIn).
     */
    public static Tensor kaimingUniform(SplittableRandom random, double a, int... shape) {
        double bound = Math.sqrt(6.0 / ((1 + a * a) * fanIn(shape)));
        return Tensors.uniform(random, (float) -bound, (float) bound, shape);
    }

    /** Kaiming (He) normal for ReLU: N(0, 2 / fanIn). */
    public static Tensor kaimingNormal(SplittableRandom random, int... shape) {
        return Tensors.randn(random, shape).mul((float) Math.sqrt(2.0 / fanIn(shape)));
    }

    /** Xavier (Glorot) uniform: bound √(6 / (fanIn + fanOut)). */
    public static Tensor xavierUniform(SplittableRandom random, int... shape) {
        double bound = Math.sqrt(6.0 / (fanIn(shape) + fanOut(shape)));
        return Tensors.uniform(random, (float) -bound, (float) bound, shape);
    }

    /** PyTorch's default bias: U(-1/√fanIn, 1/√fanIn). */
    public static Tensor bias(SplittableRandom random, int fanIn, int size) {
        double bound = 1.0 / Math.sqrt(fanIn);
        return Tensors.uniform(random, (float) -bound, (float) bound, size);
    }
}
