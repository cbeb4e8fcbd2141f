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
 * One training step of the reference GPT ({@link GptPeer}: 842,496 parameters, a batch of 32
 * windows of 128 bytes): forward, cross-entropy over all 4,096 positions, zeroed gradients,
 * backward, AdamW update; the score is training tokens per second. zbmd against PyTorch eager
 * in Python with AdamW at its default ({@value GptPeer#TORCH}) and fused
 * ({@value GptPeer#TORCH_FUSED}), from the same weights on the same batch with the same
 * threads, each parameter set in a JVM of its own. No gradient clipping on either side.
 *
 * <p>Setup checks that each peer learns (the first loss near ln 256, lower after 10 steps);
 * {@code GptTorchTest} checks that the two compute the same step.
 */
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class GptStepBenchmark {
    /** Whose step. */
    @Param({GptPeer.ZBMD, GptPeer.TORCH, GptPeer.TORCH_FUSED})
    public String runtime;

    /** Compute threads (PyTorch: intra-op threads). */
    @Param({"1", "2"})
    public int threads;

    private GptPeer peer;

    /** Builds the peer and checks that it learns. */
    @Setup
    public void setUp() {
        peer = GptPeer.createChecked(runtime, threads);
    }

    /** Ends the peer. */
    @TearDown
    public void tearDown() {
        peer.close();
    }

    /** @return the step's loss */
    @Benchmark
    @OperationsPerInvocation(GptPeer.TOKENS_PER_STEP)
    public float trainStep() {
        return peer.step();
    }
}
