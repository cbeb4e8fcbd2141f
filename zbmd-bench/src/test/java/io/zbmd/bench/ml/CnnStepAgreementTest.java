package io.zbmd.bench.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.zbmd.gpu.cpu.CpuConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * zbmd's CNN training step against PyTorch's in Python, from the same initial weights on the
 * same batch, one thread each, with dropout off on both sides (each library draws its own
 * masks): convolution, batch norm in training mode, ReLU, max pooling, the linear layer,
 * cross-entropy and Adam must compute what PyTorch computes for {@link CnnStepBenchmark}'s
 * ratios to mean anything. zbmd's GEMM is pinned to its Java kernel so that the test does not
 * depend on a timing.
 *
 * <p>The losses agree to about 1e-6 (the fixed batch at 2e-3 first drives the loss up, from
 * 2.67 to 6.29, then down). The convolutions' biases are left out of the parameter comparison:
 * batch norm right after a convolution subtracts each channel's mean, so their gradient is zero
 * in exact arithmetic and float rounding alone in both libraries, which Adam, dividing by its
 * running size, turns into steps of a learning rate in either direction (measured: exactly
 * those 96 elements differ, by up to 0.012). Every other parameter is compared.
 */
class CnnStepAgreementTest {
    static final int STEPS = 5;
    /** Float32 through different convolution algorithms: the losses agree this closely. */
    private static final double LOSS_TOLERANCE = 1e-4;
    /** Float rounding of the same update. */
    private static final double PARAMETER_TOLERANCE = 1e-5;

    /** Indices of the two convolutions' biases in registration order, the later first. */
    private static final int[] CONVOLUTION_BIASES = {5, 1};

    @Test
    void zbmdTrainsTheCnnAsPyTorchInPythonDoes() {
        ParameterDifference.assumePythonTorch();
        StepBatch batch = StepBatch.synthetic(StepModel.CNN, StepRuntimes.BATCH_SEED);
        List<float[]> initial = ZbmdTraining.initialParameters(StepModel.CNN);
        try (ZbmdTraining zbmd = new ZbmdTraining(batch, 1, CpuConfig.defaults().withGemm(CpuConfig.Gemm.JAVA));
                PythonTorchTraining torch = new PythonTorchTraining("cnn", batch.features(), batch.labels(), initial, 1,
                        false)) {
            zbmd.withoutDropout();
            torch.withoutDropout();
            for (int step = 0; step < STEPS; step++) {
                float ours = zbmd.step();
                float theirs = torch.step();
                System.out.printf("step %d: zbmd %.7f, PyTorch %.7f%n", step, ours, theirs);
                assertThat((double) ours).as("loss of step %d", step).isCloseTo(theirs, within(LOSS_TOLERANCE));
            }
            List<float[]> ours = zbmd.parameterValues();
            List<float[]> theirs = torch.parameterValues(ours);
            for (int convolutionBias : CONVOLUTION_BIASES) {
                ours.remove(convolutionBias);
                theirs.remove(convolutionBias);
            }
            ParameterDifference difference = ParameterDifference.between(ours, theirs, PARAMETER_TOLERANCE);
            System.out.printf("zbmd vs %s after %d steps: largest difference of a parameter other than a convolution's bias %.3g, %d of %d beyond %.0e%n",
                    torch.describe(), STEPS, difference.largest(), difference.beyond(), difference.total(),
                    PARAMETER_TOLERANCE);
            assertThat(difference.beyond()).as("parameters further than %s from PyTorch's", PARAMETER_TOLERANCE)
                    .isLessThanOrEqualTo(difference.total() / 10_000);
            assertThat(difference.largest()).as("largest parameter difference").isLessThan(10 * PARAMETER_TOLERANCE);
        }
    }
}
