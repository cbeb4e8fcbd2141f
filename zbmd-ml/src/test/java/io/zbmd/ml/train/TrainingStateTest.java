package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.IncompatibleCheckpointException;
import io.zbmd.ml.checkpoint.Recovery;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.nn.Layers.BatchNorm;
import io.zbmd.ml.nn.Layers.Conv2d;
import io.zbmd.ml.nn.Layers.Dropout;
import io.zbmd.ml.nn.Layers.Flatten;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.MaxPool2d;
import io.zbmd.ml.nn.Layers.ReLU;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.LrSchedule;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.optim.Sgd;
import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run resumed from a captured state ends bit-identical to the run that never stopped:
 * through a checkpoint file and a fresh model, optimizer and loader (what a new process
 * does), and in place after the model went on and took steps that must be thrown away (a
 * step retried after a crash). The model has every kind of state: parameters, batch-norm
 * buffers, dropout masks, Adam's or SGD's moments, a cosine schedule, a shuffling loader
 * that crosses epochs. Also: PyTorch's names, and a model or optimizer that does not fit is
 * refused before anything changes.
 */
class TrainingStateTest {
    private static final long SEED = 11;
    private static final int TOTAL_STEPS = 40;
    private static final int STOP_AT = 17;
    private static final int CLASSES = 4;

    private static final ImageDataset DATA = dataset();

    private static ImageDataset dataset() {
        SplittableRandom random = new SplittableRandom(SEED);
        byte[] pixels = new byte[96 * 64];
        random.nextBytes(pixels);
        byte[] labels = new byte[96];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) random.nextInt(CLASSES);
        }
        return ImageDataset.of("synthetic", 8, 8, pixels, labels, List.of("a", "b", "c", "d"));
    }

    /** One training run: backend, model, optimizer and loader, all from the seed. */
    private static final class Run implements AutoCloseable {
        final CpuBackend backend = CpuBackend.create(CpuConfig.defaults().withThreads(2)
                .withMemoryBudgetBytes(64L << 20).withGemm(CpuConfig.Gemm.JAVA));
        final TensorScope scope = TensorScope.create(backend);
        final Sequential net;
        final Optimizer optimizer;
        final DataLoader loader = DataLoader.create(DATA, DataLoaderConfig.ofBatchSize(16).withSeed(SEED));
        final LrSchedule schedule;

        Run(String optimizerKind, int classes) {
            SplittableRandom init = new SplittableRandom(SEED);
            try (var ignored = scope.enter()) {
                net = new Sequential(new Conv2d(1, 4, 3, 1, 1, init), new BatchNorm(4, 0.1f, 1e-5f), new ReLU(),
                        new MaxPool2d(2), new Flatten(), new Dropout(0.2f, init.nextLong()),
                        new Linear(64, classes, true, init));
            }
            double lr = optimizerKind.equals("adam") ? 0.01 : 0.05;
            optimizer = optimizerKind.equals("adam")
                    ? Adam.adamW(net.parameters(), lr)
                    : new Sgd(net.parameters(), lr, 0.9, 1e-4, true);
            schedule = LrSchedule.cosine(lr, TOTAL_STEPS, 0);
        }

        void steps(int count) {
            for (int i = 0; i < count; i++) {
                Batch batch = loader.next();
                try (TensorScope ignored = TensorScope.open(backend)) {
                    Tensor loss = F.crossEntropy(net.forward(Tensors.of(batch.features(), batch.size(), 1, 8, 8)),
                            Tensors.ofInts(batch.labels(), batch.size()), 0f);
                    optimizer.zeroGrad();
                    loss.backward();
                    optimizer.lr(schedule.lr(optimizer.steps()));
                    optimizer.step();
                }
            }
        }

        Checkpoint capture() {
            return TrainingState.capture(optimizer.steps(), net, optimizer, loader, "test run");
        }

        /** Every value the future depends on, as the host sees it. */
        Map<String, float[]> values() {
            Map<String, float[]> all = new LinkedHashMap<>();
            net.stateDict().forEach((name, tensor) -> all.put(name, tensor.toFloatArray()));
            optimizer.state().forEach((name, tensor) -> all.put("optimizer." + name, tensor.toFloatArray()));
            return all;
        }

        @Override
        public void close() {
            optimizer.close();
            scope.close();
            backend.close();
        }
    }

    private static void assertBitIdentical(Run actual, Run expected) {
        Map<String, float[]> want = expected.values();
        Map<String, float[]> got = actual.values();
        assertThat(got.keySet()).containsExactlyElementsOf(want.keySet());
        want.forEach((name, values) -> assertThat(got.get(name)).as(name).containsExactly(values));
        assertThat(actual.optimizer.steps()).isEqualTo(expected.optimizer.steps());
        assertThat(actual.optimizer.lr()).isEqualTo(expected.optimizer.lr());
        assertThat(actual.loader.position()).isEqualTo(expected.loader.position());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"adam", "sgd"})
    void aRunResumedFromACheckpointFileInFreshObjectsEndsBitIdentical(String optimizer, @TempDir Path directory)
            throws IOException {
        try (Run straight = new Run(optimizer, CLASSES)) {
            straight.steps(TOTAL_STEPS);
            assertThat(straight.loader.position().epoch()).as("the run crosses epochs").isGreaterThan(2);
            CheckpointStore store = CheckpointStore.open(directory, 2);
            try (Run first = new Run(optimizer, CLASSES)) {
                first.steps(STOP_AT);
                store.write(first.capture());
            }
            try (Run resumed = new Run(optimizer, CLASSES); Recovery recovery = store.latestValid()) {
                Checkpoint checkpoint = recovery.checkpoint().orElseThrow();
                assertThat(checkpoint.step()).isEqualTo(STOP_AT);
                TrainingState.restore(checkpoint, resumed.net, resumed.optimizer, resumed.loader);
                assertThat(resumed.loader.position()).isEqualTo(new LoaderPosition(2, 80));
                resumed.steps(TOTAL_STEPS - STOP_AT);
                assertBitIdentical(resumed, straight);
            }
        }
    }

    @ParameterizedTest(name = "{0}, {1} steps thrown away")
    @CsvSource({"adam, 1", "adam, 5", "sgd, 1", "sgd, 2", "sgd, 5"})
    void restoringInPlaceThrowsAwayTheStepsTakenSinceTheCapture(String optimizer, int thrownAway) {
        try (Run straight = new Run(optimizer, CLASSES); Run crashed = new Run(optimizer, CLASSES)) {
            straight.steps(TOTAL_STEPS);
            crashed.steps(STOP_AT);
            Checkpoint committed = crashed.capture();
            crashed.steps(thrownAway); // work after the commit that a crash makes void
            TrainingState.restore(committed, crashed.net, crashed.optimizer, crashed.loader);
            assertThat(crashed.capture().contentEquals(committed)).as("state after restore").isTrue();
            crashed.steps(TOTAL_STEPS - STOP_AT);
            assertBitIdentical(crashed, straight);
        }
    }

    @Test
    void theStateNamesFollowPyTorchAndTheTrainingStateIsReadable() {
        try (Run run = new Run("adam", CLASSES)) {
            run.steps(3);
            Checkpoint checkpoint = run.capture();
            assertThat(checkpoint.model().keySet()).containsExactly("0.weight", "0.bias", "1.weight", "1.bias",
                    "1.running_mean", "1.running_var", "6.weight", "6.bias");
            assertThat(checkpoint.optimizerState().keySet()).contains("0.exp_avg", "0.exp_avg_sq", "steps", "lr",
                    "param_steps");
            assertThat(checkpoint.dataPosition()).isEqualTo("0:48");
            assertThat(checkpoint.rngState()).isEqualTo("dropout:5=3");
            assertThat(checkpoint.config()).isEqualTo("test run");
        }
    }

    @Test
    void anotherModelOrOptimizerIsRefusedBeforeAnythingChanges() {
        try (Run adam = new Run("adam", CLASSES); Run wider = new Run("adam", CLASSES + 1);
                Run sgd = new Run("sgd", CLASSES)) {
            adam.steps(2);
            Checkpoint checkpoint = adam.capture();
            Map<String, float[]> before = wider.values();
            assertThatThrownBy(() -> TrainingState.restore(checkpoint, wider.net, wider.optimizer, wider.loader))
                    .isInstanceOf(IncompatibleCheckpointException.class)
                    .hasMessageContaining("6.weight")
                    .hasMessageContaining("4, 64")
                    .hasMessageContaining("5, 64");
            assertThat(wider.values()).usingRecursiveComparison().isEqualTo(before);
            assertThatThrownBy(() -> TrainingState.restore(checkpoint, sgd.net, sgd.optimizer, sgd.loader))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("taken with Adam; this run uses Sgd");
            assertThat(sgd.optimizer.steps()).isZero();
            assertThat(sgd.loader.position()).isEqualTo(LoaderPosition.START);
        }
    }

    @Test
    void optimizerStateAndTensorCopiesNameWhatDoesNotFit() {
        try (Run run = new Run("adam", CLASSES)) {
            run.steps(1);
            Map<String, float[]> before = run.values();
            float[] moment = run.optimizer.state().get("0.exp_avg").toFloatArray();
            assertThatThrownBy(() -> run.optimizer.loadState(Map.of("0.momentum", moment)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("optimizer state '0.momentum' is not one of Adam's: expected <parameter 0 to 5>"
                            + ".<exp_avg|exp_avg_sq>");
            assertThatThrownBy(() -> run.optimizer.loadState(Map.of("0.exp_avg", moment)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("optimizer state for parameter 0 lacks '0.exp_avg_sq' (it needs all of [exp_avg,"
                            + " exp_avg_sq])");
            assertThatThrownBy(() -> run.optimizer.loadState(Map.of("1.exp_avg", moment)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("optimizer state '1.exp_avg' has 36 values; parameter 1 has 4");
            assertThat(run.values()).usingRecursiveComparison().isEqualTo(before);
            Tensor weight = run.net.namedParameters().get("0.weight");
            assertThatThrownBy(() -> weight.copyFrom(new float[35]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("35 values do not fill a tensor of shape [4, 1, 3, 3] (36 elements)");
            assertThat(run.net.namedModules().keySet()).containsExactly("", "0", "1", "2", "3", "4", "5", "6");
        }
    }
}
