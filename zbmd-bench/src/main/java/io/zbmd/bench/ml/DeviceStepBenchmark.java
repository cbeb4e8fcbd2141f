package io.zbmd.bench.ml;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.Backends;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What each device path costs: a {@value #N}³ SGEMM on data resident on the device, and one
 * training step of the Fashion-MNIST MLP (batch 128, Adam), through the {@link Backend}
 * interface on each backend: {@code cpu} (the CPU backend at its defaults, two threads) and
 * {@code opencl} (OpenCL device 0: on a machine without a GPU that is PoCL, OpenCL on the same
 * CPU cores, so its row measures the OpenCL kernels and their launch and copy costs, not a GPU)
 * and {@code vulkan} (Vulkan device 0: without a GPU, Mesa's lavapipe, Vulkan on the same CPU
 * cores; each kernel waits for its fence, so its row includes every dispatch's round trip).
 * Each SGEMM copies its last entry back, so the time is the work's (OpenCL kernels run
 * asynchronously until then); an MLP step ends with its loss copied back.
 *
 * <p>Each iteration ends with a check: entries of C against a double-precision reference, and
 * the step's loss finite (setup checks that it falls).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED", "-Dorg.lwjgl.system.memoryBackend=ffm"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DeviceStepBenchmark {
    static final int N = 512;
    private static final int CHECKED = 16;

    /** Which backend: {@code cpu}, {@code opencl} or {@code vulkan}. */
    @Param({"cpu", "opencl", "vulkan"})
    public String device;

    private Backend backend;
    private DeviceBuffer a;
    private DeviceBuffer b;
    private DeviceBuffer c;
    private float[] aHost;
    private float[] bHost;
    private ZbmdTraining training;
    private float lastLoss;

    /** Opens the device, uploads the matrices, builds the model and checks that it learns. */
    @Setup
    public void setUp() {
        CpuConfig cpu = CpuConfig.defaults().withThreads(2).withMemoryBudgetBytes(1L << 30);
        backend = Backends.open(device, cpu);
        System.out.println("device: " + backend.device().name());
        aHost = random(1);
        bHost = random(2);
        a = upload(aHost);
        b = upload(bHost);
        c = backend.allocate((long) N * N);
        sgemm(); // C holds a product from the start, so that every iteration's check has one to check
        training = new ZbmdTraining(StepBatch.synthetic(StepModel.MLP, StepRuntimes.BATCH_SEED),
                Backends.open(device, cpu));
        StepRuntimes.checkLearns(training, StepModel.MLP);
    }

    private static float[] random(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[N * N];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return values;
    }

    private DeviceBuffer upload(float[] values) {
        DeviceBuffer buffer = backend.allocate(values.length);
        backend.upload(values, 0, buffer, 0, values.length);
        return buffer;
    }

    /** Checks entries of the last product and the last step's loss. */
    @TearDown(Level.Iteration)
    public void check() {
        SplittableRandom random = new SplittableRandom(N);
        float[] entry = new float[1];
        for (int sample = 0; sample < CHECKED; sample++) {
            int i = random.nextInt(N);
            int j = random.nextInt(N);
            double expected = 0;
            for (int k = 0; k < N; k++) {
                expected += (double) aHost[i * N + k] * bHost[k * N + j];
            }
            backend.download(c, (long) i * N + j, entry, 0, 1);
            if (!(Math.abs(entry[0] - expected) <= 1e-4 * N)) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s computed C[%d][%d] = %s, expected %.6f",
                        backend.device().name(), i, j, entry[0], expected));
            }
        }
        if (lastLoss != 0 && !Float.isFinite(lastLoss)) {
            throw new IllegalStateException("the MLP step's loss on " + backend.device().name() + " is " + lastLoss);
        }
    }

    /** Releases the buffers, the model and the backends. */
    @TearDown
    public void tearDown() {
        a.close();
        b.close();
        c.close();
        training.close();
        backend.close();
    }

    /** @return one {@value #N}³ product on resident data, finished: its last entry copied back */
    @Benchmark
    public float sgemm() {
        backend.sgemm(false, false, N, N, N, 1f, a, 0, N, b, 0, N, 0f, c, 0, N);
        backend.download(c, (long) N * N - 1, last, 0, 1);
        return last[0];
    }

    private final float[] last = new float[1];

    /** @return one MLP training step's loss (consumed by JMH) */
    @Benchmark
    public float mlpStep() {
        lastLoss = training.step();
        return lastLoss;
    }
}
