package io.zbmd.bench.gemm;

import dev.ludovic.netlib.blas.NativeBLAS;
import io.zbmd.gpu.cpu.GemmKernel;
import io.zbmd.gpu.cpu.GemmKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Square SGEMM, {@code C = A·B} with {@code n × n} floats, on 1 and 2 threads:
 *
 * <ul>
 *   <li>{@value #ZBMD_DEFAULT}: {@link GemmKernels#fastest(int)}, what zbmd uses by default
 *       (it measures its candidates once in the fork's setup and logs its choice);
 *   <li>{@value #ZBMD_JAVA}: {@link GemmKernels#java(int)}, zbmd's pure-Java kernel (Vector API);
 *   <li>{@value #ZBMD_OPENBLAS_FFM}: {@link GemmKernels#openBlas(int)}, OpenBLAS through FFM;
 *   <li>{@value #OPENBLAS_JNI}: the peer, native OpenBLAS called from the same JVM through
 *       dev.ludovic.netlib's JNI binding ({@code libblas.so.3}, which is OpenBLAS on Debian),
 *       on heap arrays; its thread count is set with {@code openblas_set_num_threads}.
 * </ul>
 *
 * <p>Scores: the primary one is calls per second; the secondary {@code gflop} is GFLOP/s
 * ({@code 2n³} floating-point operations per call); {@code cores} is the process's CPU time
 * over wall time, which shows that the 1-thread runs keep one core busy, not two. {@link SgemmReport} runs this benchmark and prints the GFLOP/s table.
 *
 * <p>The headline comparison is zbmd's Java kernel against OpenBLAS through FFM: the same
 * off-heap matrices, the same library as zbmd's native path, no JNI copy or pinning. netlib's
 * JNI binding on heap arrays is a second peer (it is slower than FFM on the same library, so
 * a ratio against it flatters zbmd). {@value #ZBMD_DEFAULT} is whichever of the two zbmd
 * kernels won its start-up probe: a row of it may be OpenBLAS against itself. Every
 * iteration ends with {@link #checkResult()}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SgemmBenchmark {
    /** zbmd's default kernel, {@link GemmKernels#fastest(int)}. */
    public static final String ZBMD_DEFAULT = "zbmd-default";
    /** zbmd's pure-Java kernel. */
    public static final String ZBMD_JAVA = "zbmd-java";
    /** OpenBLAS through zbmd's FFM binding. */
    public static final String ZBMD_OPENBLAS_FFM = "zbmd-openblas-ffm";
    /** The peer: OpenBLAS through netlib's JNI binding. */
    public static final String OPENBLAS_JNI = "openblas-jni";

    /** Entries of C checked against a reference after each iteration. */
    static final int CHECKED = 32;

    /** Rows, columns and depth. */
    @Param({"256", "512", "1024", "2048"})
    public int n;

    /** Threads per call. */
    @Param({"1", "2"})
    public int threads;

    /** Which implementation. */
    @Param({ZBMD_DEFAULT, ZBMD_JAVA, ZBMD_OPENBLAS_FFM, OPENBLAS_JNI})
    public String impl;

    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;
    private float[] aArray;
    private float[] bArray;
    private float[] cArray;
    private GemmKernel kernel;
    private NativeBLAS blas;

    /**
     * Work and CPU time per iteration. JMH divides both by the iteration's seconds, so
     * {@code gflop} reads as GFLOP/s and {@code cores} as the cores the process kept busy (CPU
     * seconds per second, JIT and GC included): about 1 for a one-thread run, 2 for two.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        private static final com.sun.management.OperatingSystemMXBean OS =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

        /** GFLOP done in this iteration. */
        public double gflop;
        /** Process CPU seconds used in this iteration. */
        public double cores;
        private long cpuNs;

        /** Starts the iteration at zero. */
        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
            cores = 0;
            cpuNs = OS.getProcessCpuTime();
        }

        void add(double callGflop) {
            gflop += callGflop;
            long now = OS.getProcessCpuTime();
            cores += (now - cpuNs) / 1e9;
            cpuNs = now;
        }
    }

    /** Allocates the matrices and builds the implementation. */
    @Setup
    public void setUp() {
        long floats = (long) n * n;
        arena = Arena.ofShared(); // shared: zbmd's workers read the segments
        a = random(arena.allocate(floats * Float.BYTES, 64), 1);
        b = random(arena.allocate(floats * Float.BYTES, 64), 2);
        c = arena.allocate(floats * Float.BYTES, 64);
        switch (impl) {
            case ZBMD_DEFAULT -> kernel = GemmKernels.fastest(threads);
            case ZBMD_JAVA -> kernel = GemmKernels.java(threads);
            case ZBMD_OPENBLAS_FFM -> kernel = GemmKernels.openBlas(threads).orElseThrow(
                    () -> new IllegalStateException("OpenBLAS (libopenblas.so.0) is not installed"));
            case OPENBLAS_JNI -> {
                blas = NativeBLAS.getInstance(); // throws rather than fall back to Java
                OpenBlasThreads.set(threads);
                aArray = a.toArray(ValueLayout.JAVA_FLOAT);
                bArray = b.toArray(ValueLayout.JAVA_FLOAT);
                cArray = new float[(int) floats];
            }
            default -> throw new IllegalArgumentException("impl = " + impl);
        }
        System.out.println(kernel != null ? kernel.name() : "netlib " + blas.getClass().getName());
    }

    private static MemorySegment random(MemorySegment segment, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < segment.byteSize() / Float.BYTES; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextDouble(-1, 1));
        }
        return segment;
    }

    /**
     * Checks the last product against a reference: {@value #CHECKED} entries of C at random,
     * each recomputed in double precision. Float sums of {@code n} products of values in
     * (-1, 1) drift by far less than {@code 1e-4·n}; a wrong index or a skipped block is off
     * by about {@code √n/3}, the entries' own size.
     */
    @TearDown(Level.Iteration)
    public void checkResult() {
        SplittableRandom random = new SplittableRandom(n * 31L + threads);
        double tolerance = 1e-4 * n;
        for (int sample = 0; sample < CHECKED; sample++) {
            int i = random.nextInt(n);
            int j = random.nextInt(n);
            double expected = 0;
            for (int k = 0; k < n; k++) {
                expected += (double) a.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + k)
                        * b.getAtIndex(ValueLayout.JAVA_FLOAT, (long) k * n + j);
            }
            float actual = kernel != null ? c.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + j) : cArray[i * n + j];
            if (!(Math.abs(actual - expected) <= tolerance)) {
                throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                        "%s computed C[%d][%d] = %s for n = %d on %d threads, expected %.6f (tolerance %.4f)",
                        impl, i, j, actual, n, threads, expected, tolerance));
            }
        }
    }

    /** Closes the kernel and frees the matrices. */
    @TearDown
    public void tearDown() {
        if (kernel != null) {
            kernel.close();
        }
        arena.close();
    }

    /**
     * One product. netlib's BLAS is column-major: row-major {@code C = A·B} is column-major
     * {@code Cᵀ = Bᵀ·Aᵀ}, so B goes first; the work is the same.
     */
    @Benchmark
    public void sgemm(Counters counters) {
        if (kernel != null) {
            kernel.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
        } else {
            blas.sgemm("N", "N", n, n, n, 1f, bArray, n, aArray, n, 0f, cArray, n);
        }
        counters.add(2.0 * n * n * n / 1e9);
    }
}
