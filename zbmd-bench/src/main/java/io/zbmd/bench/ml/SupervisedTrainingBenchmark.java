package io.zbmd.bench.ml;

import io.zbmd.examples.ml.FashionMnistModels;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.LrSchedule;
import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import io.zbmd.ml.train.Trainer;
import io.zbmd.ml.train.TrainerConfig;
import io.zbmd.ml.train.TrainingResult;
import io.zbmd.ml.train.TrainingState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What supervision costs: the same {@value #STEPS} training steps of the Fashion-MNIST MLP
 * (batch 128, Adam with a cosine decay, label smoothing 0.1, seeded shuffling over a synthetic
 * dataset of 28×28 images), run by a plain loop ({@code plain}), by {@link Trainer#fit}
 * ({@code supervised}: five actors under a rest_for_one supervisor, three asks and a commit
 * per step), and by {@code fit} writing a checkpoint every {@value #CHECKPOINT_EVERY} steps
 * ({@code checkpointed}).
 * The score is the time per step; a run's fixed costs (building the model, starting the
 * actors, evaluating 128 test images) are in it too, spread over the steps.
 *
 * <p>Setup checks that the plain loop and {@code fit} end with the same weights, bit for bit:
 * they do the same arithmetic.
 */
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 7, time = 2)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SupervisedTrainingBenchmark {
    static final int STEPS = 1200;
    private static final int BATCH = 128;
    private static final int CHECKPOINT_EVERY = 100;
    private static final double LEARNING_RATE = 1e-3;
    private static final float LABEL_SMOOTHING = 0.1f;
    private static final long SEED = 3;
    private static final int EPOCHS = 2;
    private static final ImageDataset TRAIN = dataset(STEPS / EPOCHS * BATCH, 1);
    private static final ImageDataset TEST = dataset(BATCH, 2);

    /** {@code plain}, {@code supervised} or {@code checkpointed}. */
    @Param({"plain", "supervised", "checkpointed"})
    public String mode;

    /** Compute threads. */
    @Param({"2"})
    public int threads;

    private CpuBackend backend;
    private Path checkpoints;

    /** Starts the backend; checks that the loop and the trainer compute the same weights. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        // One kernel for every fork: FASTEST may pick another per JVM, which would swamp the comparison.
        backend = CpuBackend.create(CpuConfig.defaults().withThreads(threads).withMemoryBudgetBytes(1L << 30)
                .withGemm(CpuConfig.Gemm.JAVA));
        String plain = run("plain");
        String supervised = run("supervised");
        if (!plain.equals(supervised)) {
            throw new IllegalStateException("the plain loop and Trainer.fit end with different weights: " + plain
                    + " and " + supervised);
        }
    }

    /** A fresh checkpoint directory per run, so that no run resumes another. */
    @Setup(Level.Invocation)
    public void freshDirectory() throws IOException {
        checkpoints = Files.createTempDirectory("zbmd-bench-checkpoints");
    }

    /** Removes the run's checkpoints. */
    @TearDown(Level.Invocation)
    public void removeDirectory() throws IOException {
        try (Stream<Path> files = Files.walk(checkpoints)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    /** Stops the backend. */
    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    /** @return the trained weights' fingerprint (consumed by JMH) */
    @Benchmark
    @OperationsPerInvocation(STEPS)
    public String train() throws IOException {
        return run(mode);
    }

    /**
     * @param how {@code plain}, {@code supervised} or {@code checkpointed}
     * @return the trained weights' fingerprint
     * @throws IOException if the checkpoint directory cannot be used
     */
    String run(String how) throws IOException {
        DataLoaderConfig loader = DataLoaderConfig.ofBatchSize(BATCH).withSeed(SEED).withStandardization(0.3f, 0.35f);
        try (TensorScope scope = TensorScope.create(backend)) {
            Sequential net;
            try (var _ = scope.enter()) {
                net = FashionMnistModels.mlp(SEED);
            }
            if (how.equals("plain")) {
                return plainLoop(net, loader);
            }
            TrainerConfig config = TrainerConfig.of(loader, EPOCHS, LEARNING_RATE).withLabelSmoothing(LABEL_SMOOTHING);
            if (how.equals("checkpointed")) {
                config = config.withCheckpoints(checkpoints, CHECKPOINT_EVERY);
            }
            TrainingResult result = Trainer.fit(net, TRAIN, TEST, config);
            return result.fingerprint();
        }
    }

    /** What {@link Trainer#fit} computes, as a loop on this thread. */
    private String plainLoop(Sequential net, DataLoaderConfig config) {
        DataLoader loader = DataLoader.create(TRAIN, config);
        LrSchedule schedule = LrSchedule.cosine(LEARNING_RATE, STEPS, 0);
        try (Adam adam = Adam.adam(net.parameters(), LEARNING_RATE)) {
            net.train(true);
            for (int step = 0; step < STEPS; step++) {
                Batch batch = loader.next();
                try (TensorScope _ = TensorScope.open(backend)) {
                    net.zeroGrad();
                    Tensor loss = F.crossEntropy(net.forward(Tensors.of(batch.features(), batch.size(), 1, 28, 28)),
                            Tensors.ofInts(batch.labels(), batch.size()), LABEL_SMOOTHING);
                    loss.backward();
                    adam.lr(schedule.lr(step));
                    adam.step();
                    loss.item();
                }
            }
            Trainer.accuracy(net, TEST, config);
            return TrainingState.fingerprint(net);
        }
    }

    private static ImageDataset dataset(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] pixels = new byte[size * 28 * 28];
        random.nextBytes(pixels);
        byte[] labels = new byte[size];
        for (int i = 0; i < size; i++) {
            labels[i] = (byte) random.nextInt(10);
        }
        return ImageDataset.of("synthetic", 28, 28, pixels, labels,
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
    }
}
