package io.zbmd.bench.ml;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

/**
 * How far one peer's parameters are from another's after the same steps.
 *
 * @param largest the largest absolute difference of one element
 * @param beyond elements further apart than the tolerance asked for
 * @param total elements compared
 */
record ParameterDifference(double largest, long beyond, long total) {
    /**
     * @param ours one peer's parameters
     * @param theirs the other's, in the same order and layout
     * @param tolerance what counts as beyond
     * @return their differences
     */
    static ParameterDifference between(List<float[]> ours, List<float[]> theirs, double tolerance) {
        double largest = 0;
        long beyond = 0;
        long total = 0;
        for (int p = 0; p < ours.size(); p++) {
            for (int i = 0; i < ours.get(p).length; i++) {
                double difference = Math.abs(ours.get(p)[i] - theirs.get(p)[i]);
                largest = Math.max(largest, difference);
                beyond += difference > tolerance ? 1 : 0;
                total++;
            }
        }
        return new ParameterDifference(largest, beyond, total);
    }

    /**
     * Skips the calling test where Python torch is missing, except on CI, which installs it
     * and must not skip the comparison with PyTorch silently.
     */
    static void assumePythonTorch() {
        boolean present = PythonTorchTraining.python().isPresent();
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError(PythonTorchTraining.missing());
        }
        assumeTrue(present, PythonTorchTraining::missing);
    }
}
