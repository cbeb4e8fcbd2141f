package io.zbmd.ml.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.Tanh;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.supervision.ChildInfo;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Trainer#fit} embedded in an application: inside the caller's actor system as a child
 * of the caller's supervisor (and gone from it afterwards, the system still running), started
 * asynchronously, and cancelled (at a step boundary, after a checkpoint of it, from which the
 * run resumes to the weights of a run never cancelled). The futures' timeouts only guard
 * against a hang; no assertion depends on time.
 */
class EmbeddedTrainingTest {
    private static final Dataset TRAIN = TrainAnythingTest.spirals(100, 1);
    private static final Dataset TEST = TrainAnythingTest.spirals(20, 2);
    private static final long GUARD_SECONDS = 120;

    @TempDir
    Path dir;

    private static TrainerConfig config() {
        return TrainerConfig.of(DataLoaderConfig.ofBatchSize(16).withSeed(3), 4, TrainingTask.classification(0.02))
                .withRunConfig("model=spirals");
    }

    /** Runs {@code body} with a fresh backend and model. */
    private interface WithModel<T> {
        T run(Module model) throws Exception;
    }

    private static <T> T withModel(WithModel<T> body) throws Exception {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA)); TensorScope scope = TensorScope.create(cpu)) {
            Module model;
            try (var ignored = scope.enter()) {
                SplittableRandom init = new SplittableRandom(5);
                model = new Sequential(new Linear(2, 16, true, init), new Tanh(), new Linear(16, 2, true, init));
            }
            return body.run(model);
        }
    }

    private static String standalone(TrainerConfig config) throws Exception {
        return withModel(model -> Trainer.fit(model, TRAIN, TEST, config).fingerprint());
    }

    @Test
    void aRunInsideTheCallersSystemIsAChildOfItsSupervisorForItsLengthOnly() throws Exception {
        String expected = standalone(config());
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("app").withWorkers(2))) {
            Supervisor parent = Supervisors.start(system, "app", SupervisorSpec.oneForOne());
            CompletableFuture<List<ChildInfo>> during = new CompletableFuture<>();
            TrainerConfig config = config().withParent(parent).withListener(new TrainingListener() {
                @Override
                public void epochEnded(int epoch, double meanLoss, Duration took) {
                    if (epoch == 1) {
                        parent.children().whenComplete((children, error) -> {
                            if (error != null) {
                                during.completeExceptionally(error);
                            } else {
                                during.complete(children);
                            }
                        });
                    }
                }
            });
            TrainingResult result = withModel(model -> Trainer.fit(model, TRAIN, TEST, config));
            assertThat(result.fingerprint()).isEqualTo(expected);
            List<ChildInfo> children = during.get(GUARD_SECONDS, TimeUnit.SECONDS);
            assertThat(children).singleElement().satisfies(child -> assertThat(child.id()).startsWith("training-"));
            assertThat(parent.children().get(GUARD_SECONDS, TimeUnit.SECONDS)).isEmpty();
            assertThat(system.isClosed()).isFalse();
            // The caller's system goes on: a second run under the same supervisor.
            assertThat(withModel(model -> Trainer.fit(model, TRAIN, TEST, config)).fingerprint()).isEqualTo(expected);
        }
    }

    @Test
    void aRunStartedAsynchronouslyEndsWithTheResultOfABlockingOne() throws Exception {
        String expected = standalone(config());
        String started = withModel(model -> Trainer.start(model, TRAIN, TEST, config()).result()
                .get(GUARD_SECONDS, TimeUnit.SECONDS).fingerprint());
        assertThat(started).isEqualTo(expected);
    }

    @Test
    void aCancelledRunStopsAfterACheckpointFromWhichItResumesToTheSameWeights() throws Exception {
        String expected = standalone(config());
        // Cancelled before it starts: it stops after its first step, with that step's checkpoint.
        Path early = dir.resolve("early");
        TrainingCancelledException first = withModel(model -> {
            TrainingJob job = Trainer.start(model, TRAIN, TEST, config().withCheckpoints(early, 0));
            job.cancel();
            return cancellation(job);
        });
        assertThat(first.step()).isEqualTo(1);
        assertThat(first.checkpoint()).hasValue(early.resolve(CheckpointStore.fileName(1)));
        assertThat(early.resolve(CheckpointStore.fileName(1))).exists();

        // Cancelled from a listener at the end of its first epoch, in a seeded simulation: it
        // stops at a later step boundary, the same one for the same seed.
        Path late = dir.resolve("late");
        AtomicReference<TrainingJob> running = new AtomicReference<>();
        TrainerConfig cancelling = config().withCheckpoints(late, 0)
                .withActors(ActorSystemConfig.deterministic(17)).withListener(new TrainingListener() {
                    @Override
                    public void epochEnded(int epoch, double meanLoss, Duration took) {
                        running.get().cancel();
                    }
                });
        TrainingCancelledException second = withModel(model -> {
            TrainingJob job = Trainer.start(model, TRAIN, TEST, cancelling);
            running.set(job);
            return cancellation(job);
        });
        assertThat(second.step()).isBetween(13L, 51L); // 13 steps to an epoch, 52 in all
        assertThat(late.resolve(CheckpointStore.fileName(second.step()))).exists();

        // Run again, not cancelled: each resumes where it stopped and ends as if never stopped.
        for (Path run : List.of(early, late)) {
            TrainingResult resumed = withModel(model -> Trainer.fit(model, TRAIN, TEST,
                    config().withCheckpoints(run, 0)));
            assertThat(resumed.resumedFromStep()).isEqualTo(run == early ? 1 : second.step());
            assertThat(resumed.fingerprint()).isEqualTo(expected);
        }
    }

    private static TrainingCancelledException cancellation(TrainingJob job) throws Exception {
        try {
            job.result().get(GUARD_SECONDS, TimeUnit.SECONDS);
            throw new AssertionError("the run was not cancelled");
        } catch (CancellationException e) {
            assertThat(job.result().isCancelled()).isTrue();
            return TrainingRun.cancellation(e);
        }
    }
}
