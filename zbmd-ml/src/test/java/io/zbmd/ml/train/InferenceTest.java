package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.data.ArrayDataset;
import io.zbmd.ml.data.Column;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.nn.Layers.Dropout;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.Tanh;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Inference}: predictions in evaluation mode that leave the model's own training flag
 * alone, raw inputs standardised as in training, classes that match the evaluation's accuracy,
 * a dataset predicted in batches as one.
 */
class InferenceTest {
    private CpuBackend cpu;
    private TensorScope scope;
    private Module model;

    @BeforeEach
    void start() {
        cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA));
        scope = TensorScope.create(cpu);
        try (var ignored = scope.enter()) {
            SplittableRandom init = new SplittableRandom(5);
            model = new Sequential(new Linear(2, 16, true, init), new Tanh(), new Dropout(0.5f, 3),
                    new Linear(16, 2, true, init));
        }
    }

    @AfterEach
    void stop() {
        scope.close();
        cpu.close();
    }

    @Test
    void predictionsRunInEvaluationModeWithoutTouchingTheModelsFlag() {
        DataLoaderConfig training = DataLoaderConfig.ofBatchSize(16).withStandardization(0.5f, 2f);
        Inference inference = Inference.of(model, training);
        float[] raw = {0.5f, 2.5f, -1.5f, 0.5f};
        Column.Floats first = inference.predict(Column.floats(raw, 2, 2));
        Column.Floats again = inference.predict(Column.floats(raw, 2, 2));
        assertThat(model.isTraining()).isTrue(); // the flag the training actors read is untouched
        assertThat(again.values()).containsExactly(first.values()); // dropout off: no new masks drawn
        assertThat(first.shape()).containsExactly(2, 2);
        // Standardised as in training: the same as predicting (x - 0.5) / 2 with no standardisation.
        float[] standardised = {0f, 1f, -1f, 0f};
        assertThat(Inference.of(model, DataLoaderConfig.ofBatchSize(16)).predict(Column.floats(standardised, 2, 2))
                .values()).containsExactly(first.values());
    }

    @Test
    void classesOfADatasetPredictedInBatchesMatchTheEvaluation() {
        Dataset spirals = TrainAnythingTest.spirals(1300, 3); // 2,600 examples: three batches of inference
        Inference inference = Inference.of(model, DataLoaderConfig.ofBatchSize(16));
        Column.Floats outputs = inference.predict(spirals);
        assertThat(outputs.shape()).containsExactly(2600, 2);
        int[] all = new int[spirals.size()];
        Arrays.setAll(all, i -> i);
        int[] classes = inference.classify(spirals.inputs(all));
        int[] labels = ((Column.Ints) spirals.targets(all)).values();
        long correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += classes[i] == labels[i] ? 1 : 0;
            float[] row = Arrays.copyOfRange(outputs.values(), 2 * i, 2 * i + 2);
            assertThat(classes[i]).isEqualTo(row[1] > row[0] ? 1 : 0);
        }
        double accuracy = Trainer.evaluate(model, spirals, DataLoaderConfig.ofBatchSize(16),
                io.zbmd.ml.nn.Loss.crossEntropy()).accuracy();
        assertThat(accuracy).isEqualTo((double) correct / labels.length);
        assertThat(model.isTraining()).isTrue();
    }

    @Test
    void aModelWhoseOutputIsNotOneRowPerExampleCannotClassify() {
        Dataset curve = ArrayDataset.of("c", Column.floats(new float[6], 3, 2), Column.floats(new float[3], 3));
        Module flat;
        try (var ignored = scope.enter()) {
            Linear linear = new Linear(2, 1, true, new SplittableRandom(1));
            flat = new Module() {
                {
                    child("linear", linear);
                }

                @Override
                public io.zbmd.ml.tensor.Tensor forward(io.zbmd.ml.tensor.Tensor input) {
                    return linear.forward(input).sum(false, 1); // one value per example: [n]
                }
            };
        }
        assertThatThrownBy(() -> Inference.of(flat, DataLoaderConfig.ofBatchSize(3)).classify(curve.inputs(
                new int[] {0, 1, 2}))).hasMessageContaining("[examples, classes]");
    }
}
