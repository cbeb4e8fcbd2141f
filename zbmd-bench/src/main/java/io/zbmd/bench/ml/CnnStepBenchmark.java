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
 * One training step of the examples' CNN (2 × (3×3 conv with bias, batch norm, ReLU, 2×2 max
 * pool), dropout 0.25, linear to 10; cross-entropy from logits, Adam at 2e-3) on a batch of
 * {@value StepModel#CNN_BATCH} images of 1×28×28: forward, loss, zeroed gradients, backward and
 * update, the step {@code zbmd train cnn} repeats (here without its label smoothing and
 * learning-rate decay, on both sides). The score is samples per second. zbmd and PyTorch
 * in Python ({@value StepRuntimes#TORCH_PYTHON}: {@code torch.optim.Adam} at its default,
 * {@value StepRuntimes#TORCH_PYTHON_FUSED}: {@code fused=True}; driven step by step over a pipe,
 * {@link PythonTorchTraining}) train the same seeded batch from the same initial weights, with
 * {@code threads} compute threads each (PyTorch: intra-op threads, and one inter-op thread),
 * each parameter set in a JVM of its own. Dropout draws its own masks on each side. There is
 * no DJL peer here: {@link MlpStepBenchmark} shows what a JNI call per op costs.
 *
 * <p>Setup checks that the peer learns: the first loss is near ln 10 and the loss falls over
 * 20 steps ({@code CnnStepAgreementTest} compares the peers step by step, dropout off).
 */
@State(Scope.Benchmark)
// zbmd's kernels need the Vector API.
@Fork(value = 3, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CnnStepBenchmark {
    /** Whose training step. */
    @Param({StepRuntimes.ZBMD, StepRuntimes.TORCH_PYTHON, StepRuntimes.TORCH_PYTHON_FUSED})
    public String runtime;

    /** Compute threads (PyTorch: intra-op threads). */
    @Param({"1", "2"})
    public int threads;

    private StepTraining training;

    /** Builds the peer's model and optimizer and checks that it learns. */
    @Setup
    public void setUp() {
        training = StepRuntimes.createChecked(runtime, threads,
                StepBatch.synthetic(StepModel.CNN, StepRuntimes.BATCH_SEED));
    }

    /** Releases the model and the peer's native memory. */
    @TearDown
    public void tearDown() {
        training.close();
    }

    /** @return the step's loss (consumed by JMH) */
    @Benchmark
    @OperationsPerInvocation(StepModel.CNN_BATCH)
    public float trainStep() {
        return training.step();
    }
}
