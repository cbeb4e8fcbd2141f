package io.zbmd.bench.ml;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * One training step of the MLP 784-256-128-10 (ReLU, biases, cross-entropy from logits,
 * Adam at 1e-3) on a batch of {@value MlpBatch#SIZE}: forward, loss, zeroed gradients,
 * backward and update. The score is samples per second. zbmd and PyTorch run the same seeded
 * batch from the same initial weights, with {@code threads} compute threads each (PyTorch:
 * intra-op threads, and one inter-op thread); each parameter set runs in a JVM of its own,
 * since libtorch's thread pools are per process. PyTorch runs twice: {@value #PYTORCH} is
 * CPU libtorch through DJL in this JVM (a JNI call and a Java object per op, DJL's own Adam),
 * {@value #TORCH_PYTHON} and {@value #TORCH_PYTHON_FUSED} are PyTorch as its users run it,
 * Python with {@code torch.optim.Adam} (default and {@code fused=True}), driven step by step
 * over a pipe ({@link PythonTorchMlpTraining}); without Python torch on the machine their
 * setup fails saying so, and the table leaves their column empty.
 *
 * <p>Setup checks that the peer learns: the first loss is near ln 10 and the loss falls over
 * a few steps ({@code MlpStepAgreementTest} compares the peers step by step).
 */
@State(Scope.Benchmark)
// zbmd's kernels need the Vector API; DJL must not reach the network (PyTorchRuntime sets it too).
@Fork(value = 3, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MlpStepBenchmark {
    static final String ZBMD = "zbmd";
    static final String PYTORCH = "pytorch";
    static final String TORCH_PYTHON = "torch-python";
    static final String TORCH_PYTHON_FUSED = "torch-python-fused";

    /** Seed of the synthetic batch. */
    static final long BATCH_SEED = 7;

    private static final int SANITY_STEPS = 5;
    private static final double INITIAL_LOSS_TOLERANCE = 0.35;

    /** Whose training step. */
    @Param({ZBMD, PYTORCH, TORCH_PYTHON, TORCH_PYTHON_FUSED})
    public String runtime;

    /** Compute threads (PyTorch: intra-op threads). */
    @Param({"1", "2"})
    public int threads;

    private MlpTraining training;

    /** Builds the peer's model and optimizer and checks that it learns. */
    @Setup
    public void setUp() {
        training = create(runtime, threads, MlpBatch.synthetic(BATCH_SEED));
        try {
            checkLearns(training);
        } catch (RuntimeException | Error e) {
            training.close();
            throw e;
        }
        System.out.println("# " + runtime + ": " + training.describe());
    }

    /** Releases the model and the peer's native memory. */
    @TearDown
    public void tearDown() {
        training.close();
    }

    /** @return the step's loss (consumed by JMH) */
    @Benchmark
    @OperationsPerInvocation(MlpBatch.SIZE)
    public float trainStep() {
        return training.step();
    }

    /**
     * @param runtime one of the {@code runtime} parameter's values
     * @param threads compute threads
     * @param batch what it trains on
     * @return that peer's MLP, from zbmd's initial weights for {@link MlpTraining#MODEL_SEED}
     */
    static MlpTraining create(String runtime, int threads, MlpBatch batch) {
        return switch (runtime) {
            case ZBMD -> new ZbmdMlpTraining(batch, threads);
            case PYTORCH -> {
                PyTorchRuntime.start(threads);
                yield new PyTorchMlpTraining(batch, ZbmdMlpTraining.initialParameters());
            }
            case TORCH_PYTHON, TORCH_PYTHON_FUSED -> new PythonTorchMlpTraining(batch,
                    ZbmdMlpTraining.initialParameters(), threads, runtime.equals(TORCH_PYTHON_FUSED));
            default -> throw new IllegalArgumentException("runtime must be " + ZBMD + ", " + PYTORCH + ", "
                    + TORCH_PYTHON + " or " + TORCH_PYTHON_FUSED + ", got " + runtime);
        };
    }

    /** @return the {@code runtime} values this machine can run: the Python ones need Python torch */
    public static String[] runtimesHere() {
        return PythonTorchMlpTraining.python().isPresent()
                ? new String[] {ZBMD, PYTORCH, TORCH_PYTHON, TORCH_PYTHON_FUSED}
                : new String[] {ZBMD, PYTORCH};
    }

    /**
     * A few steps on the fixed batch: the first loss must be near ln 10 (small initial
     * logits), and the loss must fall.
     *
     * @throws IllegalStateException if not
     */
    static void checkLearns(MlpTraining training) {
        float first = training.step();
        float last = first;
        for (int i = 1; i < SANITY_STEPS; i++) {
            last = training.step();
        }
        if (!(Math.abs(first - Math.log(MlpBatch.CLASSES)) < INITIAL_LOSS_TOLERANCE) || !(last < first)) {
            throw new IllegalStateException(training.describe() + ": initial loss " + first + " (expected about ln 10"
                    + " = 2.303) and loss after " + SANITY_STEPS + " steps " + last + " (expected lower)");
        }
    }
}
