package io.zbmd.ml.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import java.util.List;
import java.util.function.Function;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Optimizer updates against PyTorch's formulas worked by hand: a single parameter
 * {@code p = 1} whose loss is {@code 0.5·p} (gradient 0.5) or {@code 0.5·p²}.
 */
class OptimizerTest {
    private static final Offset<Float> CLOSE = within(1e-6f);

    private CpuBackend backend;
    private TensorScope scope;

    @BeforeEach
    void open() {
        backend = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(16L << 20));
        scope = TensorScope.open(backend);
    }

    @AfterEach
    void close() {
        scope.close();
        assertThat(backend.memory().bytesInUse()).isZero();
        backend.close();
    }

    /** Runs {@code steps} steps of gradient 0.5 and returns p after each. */
    private static float[] trajectory(Function<List<Tensor>, Optimizer> make, int steps) {
        Tensor p = Tensors.of(new float[] {1f}, 1).requiresGrad(true);
        float[] values = new float[steps];
        try (Optimizer optimizer = make.apply(List.of(p))) {
            for (int i = 0; i < steps; i++) {
                optimizer.zeroGrad();
                p.mul(0.5f).sum().backward();
                optimizer.step();
                values[i] = p.item();
            }
        }
        return values;
    }

    @Test
    void sgdWithMomentumNesterovAndWeightDecay() {
        assertThat(trajectory(ps -> new Sgd(ps, 0.1, 0, 0, false), 2)).containsExactly(new float[] {0.95f, 0.9f},
                CLOSE);
        // v1 = 0.5, v2 = 0.9·0.5 + 0.5 = 0.95
        assertThat(trajectory(ps -> new Sgd(ps, 0.1, 0.9, 0, false), 2)).containsExactly(new float[] {0.95f, 0.855f},
                CLOSE);
        // Nesterov: update g + μ·v = 0.5 + 0.45
        assertThat(trajectory(ps -> new Sgd(ps, 0.1, 0.9, 0, true), 1)).containsExactly(new float[] {0.905f}, CLOSE);
        // weight decay adds wd·p to the gradient: 0.5 + 0.1·1
        assertThat(trajectory(ps -> new Sgd(ps, 0.1, 0, 0.1, false), 1)).containsExactly(new float[] {0.94f}, CLOSE);
    }

    @Test
    void adamAndAdamW() {
        // Bias-corrected moments of a constant gradient are g and g², so each step moves lr.
        assertThat(trajectory(ps -> Adam.adam(ps, 0.1), 3)).containsExactly(new float[] {0.9f, 0.8f, 0.7f},
                within(1e-5f));
        // AdamW decays the weight first, p·(1 − lr·wd), then takes the Adam step.
        assertThat(trajectory(ps -> new Adam(ps, 0.1, 0.9, 0.999, 1e-8, 0.1, true), 1))
                .containsExactly(new float[] {0.89f}, within(1e-5f));
        // Adam's L2 weight decay goes into the gradient, which the normalisation then hides on step 1.
        assertThat(trajectory(ps -> new Adam(ps, 0.1, 0.9, 0.999, 1e-8, 0.1, false), 1))
                .containsExactly(new float[] {0.9f}, within(1e-5f));
    }

    @Test
    void adamSecondStepWithChangingGradient() {
        // loss 0.5·p²: g1 = 1 at p = 1, then g2 = p1 = 0.9.
        Tensor p = Tensors.of(new float[] {1f}, 1).requiresGrad(true);
        try (Adam adam = Adam.adam(List.of(p), 0.1)) {
            for (int i = 0; i < 2; i++) {
                adam.zeroGrad();
                p.square().mul(0.5f).sum().backward();
                adam.step();
            }
        }
        double m = 0.9 * 0.1 + 0.1 * 0.9; // (1 − β1)·g1 decayed, plus (1 − β1)·g2
        double v = 0.999 * 0.001 + 0.001 * 0.81;
        double mHat = m / (1 - 0.81);
        double vHat = v / (1 - 0.999 * 0.999);
        double expected = 0.9 - 0.1 * mHat / (Math.sqrt(vHat) + 1e-8);
        assertThat(p.item()).isCloseTo((float) expected, within(1e-6f));
    }

    @Test
    void parametersWithoutGradientsAreSkipped() {
        Tensor used = Tensors.of(new float[] {1f}, 1).requiresGrad(true);
        Tensor unused = Tensors.of(new float[] {1f}, 1).requiresGrad(true);
        try (Adam adam = Adam.adam(List.of(used, unused), 0.1)) {
            used.mul(0.5f).sum().backward();
            adam.step();
            assertThat(unused.item()).isEqualTo(1f);
            assertThat(adam.parameterSteps()).containsExactly(1, 0);
            assertThat(adam.state()).containsOnlyKeys("0.exp_avg", "0.exp_avg_sq");
        }
    }

    @Test
    void schedules() {
        LrSchedule cosine = LrSchedule.cosine(1.0, 100, 0.1);
        assertThat(cosine.lr(0)).isEqualTo(1.0);
        assertThat(cosine.lr(50)).isCloseTo(0.55, within(1e-12));
        assertThat(cosine.lr(100)).isEqualTo(0.1);
        assertThat(cosine.lr(1000)).isEqualTo(0.1);
        LrSchedule step = LrSchedule.step(1.0, 10, 0.5);
        assertThat(step.lr(9)).isEqualTo(1.0);
        assertThat(step.lr(10)).isEqualTo(0.5);
        assertThat(step.lr(25)).isEqualTo(0.25);
        LrSchedule warm = LrSchedule.constant(0.4).withLinearWarmup(4);
        assertThat(new double[] {warm.lr(0), warm.lr(1), warm.lr(3), warm.lr(4)})
                .containsExactly(0.1, 0.2, 0.4, 0.4);
        assertThatThrownBy(() -> LrSchedule.cosine(1, 0, 0)).hasMessageContaining("0");
    }

    @Test
    void clippingByGlobalNorm() {
        Tensor a = Tensors.of(new float[] {0f}, 1).requiresGrad(true);
        Tensor b = Tensors.of(new float[] {0f}, 1).requiresGrad(true);
        a.mul(3f).add(b.mul(4f)).sum().backward();
        assertThat(Clipping.clipGradNorm(List.of(a, b), 1.0)).isCloseTo(5.0, within(1e-6));
        assertThat(a.grad().item()).isCloseTo(0.6f, CLOSE);
        assertThat(b.grad().item()).isCloseTo(0.8f, CLOSE);
        assertThat(Clipping.clipGradNorm(List.of(a, b), 10.0)).isCloseTo(1.0, within(1e-6));
        assertThat(a.grad().item()).isCloseTo(0.6f, CLOSE);
    }

    @Test
    void badHyperparametersAreRejected() {
        Tensor p = Tensors.zeros(1).requiresGrad(true);
        assertThatThrownBy(() -> Adam.adam(List.of(p), 0)).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> new Adam(List.of(p), 0.1, 1.0, 0.999, 1e-8, 0, false)).hasMessageContaining("betas");
        assertThatThrownBy(() -> Adam.adam(List.of(), 0.1)).hasMessageContaining("at least one parameter");
    }
}
