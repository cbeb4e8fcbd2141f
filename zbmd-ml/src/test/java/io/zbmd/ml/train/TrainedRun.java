package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.ml.nn.Module;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a test's training run returned, and its model's weights copied off the backend before
 * the backend closed, for comparing runs bit for bit.
 *
 * @param result what {@link Trainer#fit} returned
 * @param weights every state-dict tensor's values, in state-dict order
 */
record TrainedRun(TrainingResult result, Map<String, float[]> weights) {

    /** @return the run's result with {@code model}'s weights as they are now */
    static TrainedRun of(TrainingResult result, Module model) {
        Map<String, float[]> weights = new LinkedHashMap<>();
        model.stateDict().forEach((name, tensor) -> weights.put(name, tensor.toFloatArray()));
        return new TrainedRun(result, weights);
    }

    /** Asserts the same tensors, the same values bit for bit, and the same fingerprint. */
    void assertSameWeightsAs(TrainedRun expected) {
        assertThat(weights.keySet()).containsExactlyElementsOf(expected.weights().keySet());
        expected.weights().forEach((name, values) -> assertThat(weights.get(name)).as(name).containsExactly(values));
        assertThat(result.fingerprint()).isEqualTo(expected.result().fingerprint());
    }
}
