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
 * Adam at 1e-3) on a batch of {@value StepModel#MLP_BATCH}: forward, loss, zeroed
 * gradients, backward and update. The score is samples per second. zbmd and PyTorch run the same seeded
 * batch from the same initial weights, with {@code threads} compute threads each (PyTorch:
 * intra-op threads, and one inter-op thread); each parameter set runs in a JVM of its own,
 * since libtorch's thread pools are per process. PyTorch runs twice: {@value StepRuntimes#PYTORCH} is
 * CPU libtorch through DJL in this JVM (a JNI call and a Java object per op, DJL's own Adam),
 * {@value StepRuntimes#TORCH_PYTHON} and {@value StepRuntimes#TORCH_PYTHON_FUSED} are PyTorch as its users run it,
 * Python with {@code torch.optim.Adam} (default and {@code fused=True}), driven step by step
 * over a pipe ({@link PythonTorchTraining}); without Python torch on the machine their
 * setup fails saying so, and the table leaves their column empty.
 *
 * <p>Setup checks that the peer learns: the first loss is near ln 10 and the loss falls over
 * 20 steps ({@code MlpStepAgreementTest} compares the peers step by step).
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
    /** Whose training step. */
    @Param({StepRuntimes.ZBMD, StepRuntimes.PYTORCH, StepRuntimes.TORCH_PYTHON, StepRuntimes.TORCH_PYTHON_FUSED})
    public String runtime;

    /** Compute threads (PyTorch: intra-op threads). */
    @Param({"1", "2"})
    public int threads;

    private StepTraining training;

    /** Builds the peer's model and optimizer and checks that it learns. */
    @Setup
    public void setUp() {
        training = StepRuntimes.createChecked(runtime, threads,
                StepBatch.synthetic(StepModel.MLP, StepRuntimes.BATCH_SEED));
    }

    /** Releases the model and the peer's native memory. */
    @TearDown
    public void tearDown() {
        training.close();
    }

    /** @return the step's loss (consumed by JMH) */
    @Benchmark
    @OperationsPerInvocation(StepModel.MLP_BATCH)
    public float trainStep() {
        return training.step();
    }

    /** @return the {@code runtime} values this machine can run: the Python ones need Python torch */
    public static String[] runtimesHere() {
        return StepRuntimes.here(true);
    }
}
