package io.zbmd.gpu.cpu;

import io.zbmd.gpu.cpu.internal.BlockedGemm;
import io.zbmd.gpu.cpu.internal.MicroKernel;
import io.zbmd.gpu.cpu.internal.MicroKernels;
import io.zbmd.gpu.cpu.internal.OpenBlasGemm;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.memory.MemoryPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the CPU backend's {@link GemmKernel}s:
 *
 * <ul>
 *   <li>{@link #java(int)}: zbmd's own blocked SGEMM (Goto/BLIS), on the Vector API when the
 *       JVM runs with {@code --add-modules jdk.incubator.vector}, else in plain Java
 *       (about 14 GFLOP/s per core instead of about 95 on a Zen 4); {@code -Dzbmd.cpu.vector=false}
 *       forces the plain one.
 *   <li>{@link #openBlas(int)}: OpenBLAS's {@code cblas_sgemm} through the FFM API, where the
 *       library is installed (needs {@code --enable-native-access=ALL-UNNAMED} to run without
 *       a warning).
 *   <li>{@link #fastest(int)}: whichever of the two ran faster here, measured once per JVM and
 *       thread count.
 * </ul>
 *
 * <p>Each kernel is deterministic on its own (bit-identical results for a given thread count),
 * but the two do not sum in the same order, so their results differ in the last bits. A run
 * that must be reproducible on another machine should pin one: {@code -Dzbmd.cpu.gemm=java} or
 * {@code =openblas} makes {@link #fastest(int)} return that kernel without measuring.
 *
 * <p>Thread-safe. The caller owns each kernel returned and closes it.
 */
public final class GemmKernels {
    /** Pins the choice of {@link #fastest(int)}: {@code java}, {@code openblas} or {@code fastest}. */
    public static final String CHOICE_PROPERTY = "zbmd.cpu.gemm";

    private static final Logger LOG = LoggerFactory.getLogger(GemmKernels.class);
    /** The measured problem: 2·192³ = 14 MFLOP, a fraction of a millisecond per call. */
    private static final int PROBE_SIZE = 192;
    /**
     * Calls before timing, so that C2 has compiled the Java kernel's loops: in a fresh JVM the
     * first call is interpreted and the kernel reaches full speed after about half a second.
     */
    private static final long JAVA_WARMUP_NS = 500_000_000L;
    /** OpenBLAS is compiled already; a few calls start its threads and fault its buffers in. */
    private static final long OPENBLAS_WARMUP_NS = 20_000_000L;
    private static final int PROBE_TIMED_CALLS = 10;

    private static final Map<Integer, Choice> CHOICES = new ConcurrentHashMap<>();

    private GemmKernels() {}

    /** Which kernel {@link #fastest(int)} builds for a thread count, and the figures behind it. */
    private enum Kind {
        JAVA,
        OPENBLAS
    }

    private record Choice(Kind kind, double javaGflops, double openBlasGflops) {}

    /**
     * zbmd's own kernel: blocked, packed, multi-threaded on its own daemon threads. Its results
     * do not depend on the thread count either, and the Vector API and plain versions agree bit
     * for bit. Each thread keeps packing buffers of up to 6.3 MiB on the heap between calls.
     * Segments confined to the calling thread are accepted, but such a call runs on the caller
     * alone: use shared, global or automatic arenas to use the threads.
     *
     * @param threads threads per call, the caller's included ({@code threads - 1} workers
     *     are started; {@link GemmKernel#close()} stops them)
     * @return a new kernel; thread-safe
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public static GemmKernel java(int threads) {
        checkThreads(threads);
        MicroKernel kernel = MicroKernels.preferred();
        return new BlockedGemm(threads, kernel, MicroKernels.blockingFor(kernel));
    }

    /**
     * OpenBLAS's {@code cblas_sgemm} through the FFM API, without copies for native segments.
     * OpenBLAS's thread count is process-wide, so calls through all such kernels are serialized.
     *
     * @param threads threads OpenBLAS uses per call
     * @return a new kernel, or empty if {@code libopenblas.so.0} (or the library named by
     *     {@code -Dzbmd.openblas.library}) cannot be loaded; thread-safe
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public static Optional<GemmKernel> openBlas(int threads) {
        checkThreads(threads);
        return OpenBlasGemm.open(threads);
    }

    /**
     * The faster of {@link #java(int)} and {@link #openBlas(int)} on this machine. The first call
     * for a thread count measures both on a {@value #PROBE_SIZE}³ problem (about 0.6 s, most
     * of it warming up the Java kernel) and logs the choice at INFO with both figures; later
     * calls reuse it. Without OpenBLAS it is the Java kernel, unmeasured.
     *
     * @param threads threads per call
     * @return a new kernel of the chosen kind; thread-safe
     * @throws IllegalArgumentException if {@code threads < 1}, or {@value #CHOICE_PROPERTY} names
     *     no kernel
     */
    public static GemmKernel fastest(int threads) {
        checkThreads(threads);
        String pinned = System.getProperty(CHOICE_PROPERTY, "fastest").trim().toLowerCase(Locale.ROOT);
        switch (pinned) {
            case "java" -> {
                return java(threads);
            }
            case "openblas" -> {
                return openBlas(threads).orElseThrow(() -> new IllegalStateException(
                        CHOICE_PROPERTY + "=openblas, but OpenBLAS is not installed"));
            }
            case "fastest" -> {
                Choice choice = CHOICES.computeIfAbsent(threads, GemmKernels::choose);
                return choice.kind() == Kind.OPENBLAS ? openBlas(threads).orElseThrow() : java(threads);
            }
            default -> throw new IllegalArgumentException(
                    CHOICE_PROPERTY + " = " + pinned + " is not java, openblas or fastest");
        }
    }

    private static Choice choose(int threads) {
        Optional<GemmKernel> openBlasKernel = openBlas(threads);
        if (openBlasKernel.isEmpty()) {
            LOG.info("SGEMM on {} threads: zbmd's Java kernel (OpenBLAS is not installed)", threads);
            return new Choice(Kind.JAVA, Double.NaN, Double.NaN);
        }
        try (GemmKernel openBlas = openBlasKernel.get(); GemmKernel java = java(threads)) {
            double openBlasGflops = measure(openBlas, OPENBLAS_WARMUP_NS);
            double javaGflops = measure(java, JAVA_WARMUP_NS);
            Kind kind = javaGflops > openBlasGflops ? Kind.JAVA : Kind.OPENBLAS;
            LOG.info("SGEMM on {} thread(s): using {}; measured on {}³: zbmd Java {} GFLOP/s, OpenBLAS {} GFLOP/s"
                    + " (pin one with -D{}=java or =openblas)", threads,
                    kind == Kind.JAVA ? java.name() : openBlas.name(), PROBE_SIZE,
                    String.format(Locale.ROOT, "%.1f", javaGflops), String.format(Locale.ROOT, "%.1f", openBlasGflops),
                    CHOICE_PROPERTY);
            return new Choice(kind, javaGflops, openBlasGflops);
        }
    }

    /** Best of a few timed calls after a warm-up: the least disturbed run is the kernel's speed. */
    private static double measure(GemmKernel kernel, long warmupNs) {
        int n = PROBE_SIZE;
        long bytes = (long) n * n * Float.BYTES;
        // Memory of the kind the backend's kernels see: a confined arena's segments would teach
        // the JIT's shared profiles of the JDK's memory-access code a second segment kind, and
        // compiled element-wise kernels then deoptimize over and over (a measured 10x slowdown).
        try (MemoryPool pool = new MemoryPool("gemm-probe", 4 * bytes, false);
                DeviceBuffer aBuffer = pool.allocate(bytes);
                DeviceBuffer bBuffer = pool.allocate(bytes);
                DeviceBuffer cBuffer = pool.allocate(bytes)) {
            MemorySegment a = random(aBuffer.segment(), 1);
            MemorySegment b = random(bBuffer.segment(), 2);
            MemorySegment c = cBuffer.segment();
            long warmUntil = System.nanoTime() + warmupNs;
            do {
                kernel.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            } while (System.nanoTime() < warmUntil);
            long bestNs = Long.MAX_VALUE;
            for (int i = 0; i < PROBE_TIMED_CALLS; i++) {
                long start = System.nanoTime();
                kernel.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
                bestNs = Math.min(bestNs, System.nanoTime() - start);
            }
            return 2.0 * n * n * n / bestNs;
        }
    }

    private static MemorySegment random(MemorySegment segment, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < segment.byteSize() / Float.BYTES; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextDouble(-1, 1));
        }
        return segment;
    }

    private static void checkThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads = " + threads + " is less than 1");
        }
    }
}
