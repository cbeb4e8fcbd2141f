package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.Backends;
import io.zbmd.gpu.DeviceFaults;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.opencl.OpenClBackend;
import io.zbmd.gpu.opencl.OpenClContext;
import io.zbmd.gpu.opencl.OpenClDevices;
import io.zbmd.gpu.vulkan.VulkanContext;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.Recovery;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.Tanh;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run whose device is lost for good moves to the next device and finishes there: the
 * two-spirals classifier on OpenCL and on Vulkan (PoCL and lavapipe in CI), the device lost
 * mid-run (its context destroyed), the CPU taking over from the last checkpoint.
 */
class DeviceMigrationTest {
    private static final int EPOCHS = 30;
    private static final int CHECKPOINT_EVERY = 60;
    private static final CpuConfig CPU = CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
            .withGemm(CpuConfig.Gemm.JAVA);

    @TempDir
    Path dir;

    /** Skips without the device, except in CI, which installs PoCL and lavapipe. */
    private static void require(String kind) {
        boolean present = kind.equals("opencl") ? !OpenClDevices.list().isEmpty() : !VulkanContext.list().isEmpty();
        if (!present && System.getenv("CI") != null) {
            throw new AssertionError("CI installs PoCL and lavapipe, but no " + kind + " device was found");
        }
        assumeTrue(present, "no " + kind + " device here (apt-get install pocl-opencl-icd mesa-vulkan-drivers)");
    }

    private static int liveContexts(String kind) {
        return kind.equals("opencl") ? OpenClContext.liveContexts() : VulkanContext.liveContexts();
    }

    private static Module spiralNet(long seed) {
        SplittableRandom init = new SplittableRandom(seed);
        return new Sequential(new Linear(2, 32, true, init), new Tanh(), new Linear(32, 32, true, init), new Tanh(),
                new Linear(32, 2, true, init));
    }

    private TrainerConfig config(Path checkpoints) {
        return TrainerConfig.of(DataLoaderConfig.ofBatchSize(32).withSeed(4), EPOCHS,
                TrainingTask.classification(0.03)).withRunConfig("model=spirals-mlp")
                .withCheckpoints(checkpoints, CHECKPOINT_EVERY);
    }

    /**
     * Trains the classifier on {@code device} (faults and all), with the CPU as the fallback.
     *
     * @param device the faulty device's view
     * @param config the run's, without a fallback
     * @return the result
     */
    private static TrainingResult fitWithCpuFallback(Backend device, TrainerConfig config) throws IOException {
        try (CpuBackend cpu = CpuBackend.create(CPU)) {
            return fitMoving(device, config, List.of(() -> cpu));
        }
    }

    /** Trains the classifier on {@code device}, moving (and building it again) to each of {@code next} in turn. */
    private static TrainingResult fitMoving(Backend device, TrainerConfig config, List<Supplier<Backend>> next)
            throws IOException {
        List<TensorScope> scopes = new ArrayList<>();
        try (TensorScope onDevice = TensorScope.create(device)) {
            Module model;
            try (var _ = onDevice.enter()) {
                model = spiralNet(7);
            }
            DeviceFallback fallback = DeviceFallback.opening(backend -> {
                TensorScope scope = TensorScope.create(backend);
                scopes.add(scope);
                try (var _ = scope.enter()) {
                    return spiralNet(7);
                }
            }, next);
            return Trainer.fit(model, TrainAnythingTest.spirals(200, 1), TrainAnythingTest.spirals(100, 2),
                    config.withFallback(fallback));
        } finally {
            scopes.forEach(TensorScope::close);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"opencl", "vulkan"})
    void aLostDeviceMovesTheRunToTheCpuFromItsLastCheckpoint(String kind) throws IOException {
        require(kind);
        TrainingResult onCpuOnly;
        try (CpuBackend cpu = CpuBackend.create(CPU); TensorScope scope = TensorScope.create(cpu)) {
            Module model;
            try (var _ = scope.enter()) {
                model = spiralNet(7);
            }
            onCpuOnly = Trainer.fit(model, TrainAnythingTest.spirals(200, 1), TrainAnythingTest.spirals(100, 2),
                    config(dir.resolve("cpu-only")));
        }

        Path run = dir.resolve("migrating");
        DeviceFaults lost = DeviceFaults.lostAfter(20_000); // about a third of the run
        int contexts = liveContexts(kind); // before the device below is opened
        try (Backend device = Backends.open(kind, CPU)) {
            TrainingResult migrated = fitWithCpuFallback(device.withFaults(lost), config(run));

            assertThat(lost.injectedDeviceErrors()).as("the device was lost mid-run").isPositive();
            assertThat(liveContexts(kind)).as("the loss destroyed the device's context")
                    .isEqualTo(contexts);
            assertThat(migrated.recoveries()).containsEntry("migration", 1L);
            assertThat(migrated.steps()).isEqualTo(EPOCHS * 13L);
            assertThat(migrated.resumedFromStep()).as("resumed from a checkpoint written on the device")
                    .isPositive().isLessThan(EPOCHS * 13L).isEqualTo(migrated.resumedFromStep()
                            / CHECKPOINT_EVERY * CHECKPOINT_EVERY);
            assertThat(migrated.testAccuracy()).as("the CPU-only run reached %s", onCpuOnly.testAccuracy())
                    .isGreaterThan(0.95).isCloseTo(onCpuOnly.testAccuracy(),
                            offset(0.03));
        }
        try (Recovery recovery = CheckpointStore.open(run, 3).latestValid()) {
            RunIdentity last = RunIdentity.decode(recovery.checkpoint().orElseThrow().config()).orElseThrow();
            assertThat(last.compute().backend()).as("the checkpoints after the move record the CPU").isEqualTo("cpu");
        }
    }

    @Test
    void aLostDeviceIsOpenedAfreshBeforeTheRunMovesOn() throws IOException {
        require("opencl");
        DeviceFaults lost = DeviceFaults.lostAfter(20_000);
        Path run = dir.resolve("reopened");
        List<Backend> reopened = new ArrayList<>();
        int contexts = OpenClContext.liveContexts();
        try (OpenClBackend opencl = OpenClBackend.open(0, 64L << 20); CpuBackend cpu = CpuBackend.create(CPU)) {
            TrainingResult result = fitMoving(opencl.withFaults(lost), config(run), List.of(() -> {
                OpenClBackend fresh = OpenClBackend.open(0, 64L << 20); // a new context and queue
                reopened.add(fresh);
                return fresh;
            }, () -> cpu));
            assertThat(lost.injectedDeviceErrors()).as("the device was lost mid-run").isPositive();
            assertThat(reopened).as("the device was opened afresh, and the CPU not needed").hasSize(1);
            assertThat(OpenClContext.liveContexts()).as("the lost context gone, the new one open")
                    .isEqualTo(contexts + 1);
            assertThat(result.recoveries()).containsEntry("migration", 1L);
            assertThat(result.steps()).isEqualTo(EPOCHS * 13L);
            assertThat(result.testAccuracy()).isGreaterThan(0.95);
        } finally {
            reopened.forEach(Backend::close);
        }
        try (Recovery recovery = CheckpointStore.open(run, 3).latestValid()) {
            RunIdentity last = RunIdentity.decode(recovery.checkpoint().orElseThrow().config()).orElseThrow();
            assertThat(last.compute().backend()).as("the checkpoints after the reopening record OpenCL")
                    .isEqualTo("opencl");
        }
    }

    @Test
    void aHungDeviceIsNoticedByTheStageTimeoutsAndTheRunMovesToTheCpu() throws IOException {
        require("opencl");
        DeviceFaults hung = DeviceFaults.hangAfter(20_000); // the model actor's thread stays in a "kernel"
        try (OpenClBackend opencl = OpenClBackend.open(0, 64L << 20)) {
            // A few unanswered stages make the step fail; the stuck actor is left behind when its system closes.
            TrainerConfig config = config(dir.resolve("hung"))
                    .withLimits(FailureLimits.defaults().withFailuresPerStep(3))
                    .withActors(ActorSystemConfig.defaults().withShutdownTimeout(Duration.ofSeconds(1)));
            try {
                TrainingResult migrated = fitWithCpuFallback(opencl.withFaults(hung), config);
                assertThat(hung.injectedHangs()).as("the device hung mid-run").isPositive();
                assertThat(migrated.recoveries()).containsEntry("migration", 1L);
                assertThat(migrated.steps()).isEqualTo(EPOCHS * 13L);
                assertThat(migrated.resumedFromStep()).isPositive().isLessThan(EPOCHS * 13L);
                assertThat(migrated.testAccuracy()).isGreaterThan(0.95);
            } finally {
                hung.releaseHang(); // lets the stuck thread go before the device closes
            }
        }
    }

    @Test
    void withoutAFallbackALostDeviceStopsTheRunNamingTheDevice() {
        require("opencl");
        DeviceFaults lost = DeviceFaults.lostAfter(20_000);
        try (OpenClBackend opencl = OpenClBackend.open(0, 64L << 20);
                TensorScope onDevice = TensorScope.create(opencl.withFaults(lost))) {
            Module model;
            try (var _ = onDevice.enter()) {
                model = spiralNet(7);
            }
            assertThatThrownBy(() -> Trainer.fit(model, TrainAnythingTest.spirals(200, 1),
                    TrainAnythingTest.spirals(100, 2), config(dir.resolve("stops"))))
                    .isInstanceOf(TrainingFailedException.class)
                    .hasMessageContaining("device lost")
                    .hasMessageContaining("opencl:0");
        }
    }
}
