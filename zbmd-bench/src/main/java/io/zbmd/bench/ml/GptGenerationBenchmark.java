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
 * Generation with the reference GPT ({@link GptPeer}) and a key/value cache: 128 tokens, greedy,
 * after a one-token prompt (the whole context, one position each); the score is generated
 * tokens per second. zbmd's {@code Gpt.generate} against PyTorch eager in Python with a cache of
 * its own, from the same weights, with the same threads. Each invocation's tokens must give the
 * first invocation's checksum (generation repeats itself); PyTorch's first generation is
 * checked against its whole-sequence forward pass (zbmd's cache is, in {@code GptTest}); every
 * peer first learns for ten steps (setup, as {@link GptStepBenchmark}).
 */
@State(Scope.Benchmark)
@Fork(value = 3, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class GptGenerationBenchmark {
    /** Whose generation. */
    @Param({GptPeer.ZBMD, GptPeer.TORCH})
    public String runtime;

    /** Compute threads (PyTorch: intra-op threads). */
    @Param({"1", "2"})
    public int threads;

    private GptPeer peer;
    private long expected;

    /** Builds the peer, trains it ten steps and generates once. */
    @Setup
    public void setUp() {
        peer = GptPeer.createChecked(runtime, threads);
        try {
            expected = peer.generate(GptPeer.GENERATED);
        } catch (RuntimeException | Error e) {
            peer.close();
            throw e;
        }
    }

    /** Ends the peer. */
    @TearDown
    public void tearDown() {
        peer.close();
    }

    /** @return the tokens' checksum */
    @Benchmark
    @OperationsPerInvocation(GptPeer.GENERATED)
    public long generate() {
        long sum = peer.generate(GptPeer.GENERATED);
        if (sum != expected) {
            throw new IllegalStateException(peer.describe() + " generated tokens of checksum " + sum + ", the first"
                    + " time " + expected);
        }
        return sum;
    }
}
