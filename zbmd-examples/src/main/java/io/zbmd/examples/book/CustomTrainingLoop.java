package io.zbmd.examples.book;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.examples.ml.FashionMnistModels;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.Recovery;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.FashionMnist;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.LrSchedule;
import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import io.zbmd.ml.train.Trainer;
import io.zbmd.ml.train.TrainingState;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The book's example 7, a custom training loop with checkpointing: your own loop over the
 * library's parts, with a rest_for_one supervisor over a checkpoint actor and a metrics
 * actor. Gradients are accumulated over four micro-batches of 32 per optimizer step; a step
 * that hits a device error is tried again (the optimizer's step is all or nothing, so a
 * failed one changed nothing); every 100 steps a checkpoint is handed to the checkpoint
 * actor and training goes on while it is written. Run again, it resumes from the newest
 * checkpoint.
 */
public final class CustomTrainingLoop {
    private static final int MICRO_BATCH = 32;
    private static final int ACCUMULATE = 4;
    private static final int CHECKPOINT_EVERY = 100;
    private static final int TRIES = 3;

    private CustomTrainingLoop() {}

    /** Copy a snapshot off the device (then {@code copied}), write it (then {@code written}). */
    record Save(TrainingState.Snapshot snapshot, CompletableFuture<Void> copied, CompletableFuture<Path> written) {}

    /** Writes checkpoints, one at a time, off the training thread. */
    static final class Checkpointer implements Actor<Save> {
        private final CheckpointStore store;

        Checkpointer(CheckpointStore store) {
            this.store = store;
        }

        @Override
        public void onMessage(Save save) throws IOException {
            Checkpoint checkpoint = save.snapshot().toCheckpoint();
            save.copied().complete(null);
            save.written().complete(store.write(checkpoint));
        }
    }

    /** One optimizer step's numbers. */
    record Record(long step, double loss, double lr) {}

    /** Prints every 100th step. */
    static final class Metrics implements Actor<Record> {
        private final PrintStream out;

        Metrics(PrintStream out) {
            this.out = out;
        }

        @Override
        public void onMessage(Record record) {
            if (record.step() % 100 == 0) {
                out.printf(Locale.ROOT, "step %5d  loss %.4f  lr %.6f%n", record.step(), record.loss(), record.lr());
            }
        }
    }

    /**
     * @param out progress
     * @param data Fashion-MNIST's directory
     * @param checkpoints where checkpoints go and the loop resumes from
     * @param epochs passes over the training set
     * @param trainLimit train on the first this many images (0: all)
     * @return the test accuracy at the end
     * @throws IOException if the dataset or the checkpoint directory cannot be used
     */
    public static double run(PrintStream out, Path data, Path checkpoints, int epochs, int trainLimit)
            throws IOException {
        FashionMnist dataset = FashionMnist.load(data);
        ImageDataset train = trainLimit == 0 ? dataset.train() : dataset.train().first(trainLimit);
        DataLoaderConfig loaderConfig = DataLoaderConfig.ofBatchSize(MICRO_BATCH).withSeed(1)
                .withStandardization(FashionMnist.TRAIN_PIXEL_MEAN, FashionMnist.TRAIN_PIXEL_STD);
        CheckpointStore store = CheckpointStore.open(checkpoints, 3);
        String config = "example=custom-loop,epochs=" + epochs + ",train=" + train.size();
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("custom-loop"));
                CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(2).withMemoryBudgetBytes(1L << 30));
                TensorScope scope = TensorScope.create(cpu)) {
            Supervisor supervisor = Supervisors.start(system, "training", SupervisorSpec.restForOne()
                    .withChild(ChildSpec.worker("checkpointer", () -> new Checkpointer(store)).withRetries(3))
                    .withChild(ChildSpec.worker("metrics", () -> new Metrics(out))));
            ActorRef<Save> checkpointer = supervisor.<Save>child("checkpointer").join().orElseThrow();
            ActorRef<Record> metrics = supervisor.<Record>child("metrics").join().orElseThrow();

            Sequential model;
            try (var ignored = scope.enter()) {
                model = FashionMnistModels.mlp(1);
            }
            DataLoader loader = DataLoader.create(train, loaderConfig);
            long total = (long) epochs * loader.batchesPerEpoch() / ACCUMULATE;
            LrSchedule schedule = LrSchedule.cosine(1e-3, total, 0);
            try (Adam adam = Adam.adam(model.parameters(), 1e-3)) {
                try (Recovery recovery = store.latestValid()) {
                    Optional<Checkpoint> latest = recovery.checkpoint();
                    if (latest.isPresent()) {
                        TrainingState.restore(latest.get(), model, adam, loader);
                        out.printf(Locale.ROOT, "resumed at step %d from %s%n", adam.steps(),
                                recovery.file().orElseThrow());
                    }
                }
                Save pending = null;
                while (adam.steps() < total) {
                    long step = adam.steps();
                    double loss = accumulate(model, loader, cpu);
                    adam.lr(schedule.lr(step));
                    if (pending != null && !pending.copied().isDone()) {
                        pending.copied().join(); // the update must not overwrite what the copy still reads
                    }
                    for (int attempt = 1; ; attempt++) {
                        try {
                            adam.step();
                            break;
                        } catch (DeviceException e) {
                            if (attempt == TRIES) {
                                throw e;
                            }
                            out.println("optimizer step failed (" + e.getMessage() + "), retrying");
                        }
                    }
                    metrics.tell(new Record(adam.steps(), loss, adam.lr()));
                    if (adam.steps() % CHECKPOINT_EVERY == 0 || adam.steps() == total) {
                        if (pending != null) {
                            pending.written().join(); // check the previous one made it
                        }
                        pending = new Save(TrainingState.snapshot(adam.steps(), model, adam, loader, config),
                                new CompletableFuture<>(), new CompletableFuture<>());
                        checkpointer.tell(pending); // training goes on while it is written
                    }
                }
                if (pending != null) {
                    out.println("final checkpoint " + pending.written().join());
                }
                double accuracy = Trainer.accuracy(model, dataset.test(), loaderConfig);
                out.printf(Locale.ROOT, "test accuracy %.4f after %d steps of %d samples%n", accuracy, total,
                        MICRO_BATCH * ACCUMULATE);
                return accuracy;
            }
        }
    }

    /** Forward and backward over {@value #ACCUMULATE} micro-batches; returns the mean loss. */
    private static double accumulate(Sequential model, DataLoader loader, CpuBackend cpu) {
        model.zeroGrad();
        double sum = 0;
        for (int i = 0; i < ACCUMULATE; i++) {
            Batch batch = loader.next();
            try (TensorScope step = TensorScope.open(cpu)) {
                Tensor loss = F.crossEntropy(model.forward(Tensors.of(batch.features(), batch.size(), 1, 28, 28)),
                        Tensors.ofInts(batch.labels(), batch.size()), 0f).mul(1f / ACCUMULATE);
                loss.backward();
                sum += loss.item();
            }
        }
        return sum;
    }
}
