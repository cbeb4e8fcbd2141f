package io.zbmd.gpu.cpu.internal;

import io.zbmd.gpu.cpu.GemmKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SGEMM by OpenBLAS's {@code cblas_sgemm}, bound through the FFM API (no JNI, no copy: the
 * caller's native segments are passed as they are). The library is looked up once per JVM by
 * its soname ({@code libopenblas.so.0}, as Debian's {@code libopenblas0} installs it, then
 * {@code libopenblas.so} and the macOS names), or at the path in the system property
 * {@value #LIBRARY_PROPERTY}; where none loads, {@link #open} answers empty.
 *
 * <p><b>Threads.</b> OpenBLAS has one thread count per process ({@code openblas_set_num_threads}),
 * so every call sets it under a process-wide lock and calls are serialized: two kernels with
 * different counts never race on it, and a kernel's count holds even if other code (JNI BLAS
 * in the same process) changed it in between.
 *
 * <p>Thread-safe. Heap segments (which a downcall cannot take without pinning) are copied
 * into native memory for the call.
 */
public final class OpenBlasGemm implements GemmKernel {
    /** Names the OpenBLAS library to load instead of the usual sonames (a path or a name). */
    public static final String LIBRARY_PROPERTY = "zbmd.openblas.library";

    private static final Logger LOG = LoggerFactory.getLogger(OpenBlasGemm.class);
    private static final List<String> LIBRARY_NAMES = List.of("libopenblas.so.0", "libopenblas.so",
            "libopenblas.0.dylib", "libopenblas.dylib");
    // cblas.h: CBLAS_ORDER and CBLAS_TRANSPOSE values.
    private static final int CBLAS_ROW_MAJOR = 101;
    private static final int CBLAS_NO_TRANS = 111;
    private static final int CBLAS_TRANS = 112;
    /** Serializes calls: OpenBLAS's thread count is process-global state. */
    private static final ReentrantLock CALLS = new ReentrantLock();

    private final Binding binding;
    private final int threads;
    private volatile boolean closed;

    /** The bound functions of the one library this JVM uses. */
    private record Binding(String library, String config, MethodHandle sgemm, MethodHandle setNumThreads,
            MethodHandle getNumThreads) {}

    /** Binds the library on first use; holds empty when it is not installed. */
    private static final class Holder {
        static final Optional<Binding> BINDING = bind();
    }

    private OpenBlasGemm(Binding binding, int threads) {
        this.binding = binding;
        this.threads = threads;
    }

    /**
     * @param threads threads OpenBLAS uses per call
     * @return a kernel on the installed OpenBLAS, or empty if the library cannot be loaded
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public static Optional<GemmKernel> open(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads = " + threads + " is less than 1");
        }
        return Holder.BINDING.map(binding -> new OpenBlasGemm(binding, threads));
    }

    /** @return whether OpenBLAS can be loaded in this JVM; thread-safe */
    public static boolean available() {
        return Holder.BINDING.isPresent();
    }

    /** Read by OpenBLAS when it loads: how long its idle threads spin, as a power of two of cycles. */
    static final String THREAD_TIMEOUT = "OPENBLAS_THREAD_TIMEOUT";

    /** 2^20 cycles, about 0.3 ms here. */
    private static final String QUIET_TIMEOUT = "20";

    /**
     * OpenBLAS's threads busy-wait for 2^28 cycles (about 0.1 s) after each call before they
     * sleep. Between zbmd's GEMM calls the same cores run zbmd's own kernels, which the
     * spinning slows down. Measured here, median MLP training step (784-256-128-10, batch 128,
     * 2 threads; {@code ./zbmd train mlp --epochs 4 --gemm openblas --json}): 2.45 to 2.66 ms
     * with OpenBLAS as it comes, 1.61 to 1.67 ms with the timeout at 2^20 or below, 1.79 ms on
     * the Java kernel; back-to-back 256³ products ran as fast at 2^20 as at 2^28 (their gaps
     * are microseconds). So, unless the environment sets it, the timeout is set to 2^20 before
     * the library loads (with libc's {@code setenv}, once, while this class initialises). A
     * library that another component loaded earlier keeps its own setting.
     */
    private static void quietIdleThreads() {
        if (System.getenv(THREAD_TIMEOUT) != null) {
            return;
        }
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> setenv = linker.defaultLookup().find("setenv");
        if (setenv.isEmpty()) {
            return;
        }
        MethodHandle handle = linker.downcallHandle(setenv.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int status = (int) handle.invokeExact(arena.allocateFrom(THREAD_TIMEOUT), arena.allocateFrom(QUIET_TIMEOUT), 0);
            if (status != 0) {
                LOG.debug("setenv({}) returned {}", THREAD_TIMEOUT, status);
            }
        } catch (Throwable e) {
            LOG.debug("could not set {}: {}", THREAD_TIMEOUT, e.toString());
        }
    }

    private static Optional<Binding> bind() {
        quietIdleThreads();
        String override = System.getProperty(LIBRARY_PROPERTY);
        List<String> names = override != null && !override.isBlank() ? List.of(override.trim()) : LIBRARY_NAMES;
        for (String name : names) {
            try {
                // Arena.global(): the library stays loaded for the JVM's life, like the handles.
                SymbolLookup lookup = SymbolLookup.libraryLookup(name, Arena.global());
                return Optional.of(bind(name, lookup));
            } catch (IllegalArgumentException | IllegalCallerException | UnsatisfiedLinkError e) {
                LOG.debug("OpenBLAS not loaded as {}: {}", name, e.toString());
            }
        }
        LOG.debug("OpenBLAS is not installed (looked for {})", names);
        return Optional.empty();
    }

    private static Binding bind(String name, SymbolLookup lookup) {
        Linker linker = Linker.nativeLinker();
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
        MethodHandle sgemm = linker.downcallHandle(symbol(lookup, "cblas_sgemm"), FunctionDescriptor.ofVoid(
                i, i, i, i, i, i, f, ValueLayout.ADDRESS, i, ValueLayout.ADDRESS, i, f, ValueLayout.ADDRESS, i));
        MethodHandle set = linker.downcallHandle(symbol(lookup, "openblas_set_num_threads"),
                FunctionDescriptor.ofVoid(i));
        MethodHandle get = linker.downcallHandle(symbol(lookup, "openblas_get_num_threads"),
                FunctionDescriptor.of(i));
        String config = lookup.find("openblas_get_config")
                .map(symbol -> linker.downcallHandle(symbol, FunctionDescriptor.of(ValueLayout.ADDRESS)))
                .map(OpenBlasGemm::config)
                .orElse("OpenBLAS");
        return new Binding(name, config, sgemm, set, get);
    }

    private static MemorySegment symbol(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalArgumentException("no symbol " + name));
    }

    /** {@code openblas_get_config()}: "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64". */
    private static String config(MethodHandle getConfig) {
        try {
            MemorySegment text = (MemorySegment) getConfig.invokeExact();
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "OpenBLAS";
        }
    }

    /** @return "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64 (native), 2 threads"; thread-safe */
    @Override
    public String name() {
        return binding.config() + " (native, " + binding.library() + "), " + threads
                + (threads == 1 ? " thread" : " threads");
    }

    /** @return {@link #name()}; thread-safe */
    @Override
    public String toString() {
        return name();
    }

    /** @return the threads OpenBLAS uses per call; thread-safe */
    @Override
    public int threads() {
        return threads;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Thread-safe; calls through all OpenBLAS kernels of the process are serialized. If
     * {@code alpha == 0} or {@code k == 0}, OpenBLAS is not called and A and B are not read.
     *
     * @throws IllegalStateException if the kernel is closed
     */
    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
            MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
            float beta, MemorySegment c, long cOffset, int ldc) {
        if (closed) {
            throw new IllegalStateException(name() + " is closed");
        }
        GemmArguments.check(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (BetaScaling.onlyScales(k, alpha)) {
            BetaScaling.scale(beta, c, cOffset, ldc, m, n);
            return;
        }
        if (a.isNative() && b.isNative() && c.isNative()) {
            call(transA, transB, m, n, k, alpha, a.asSlice(aOffset * Float.BYTES), lda,
                    b.asSlice(bOffset * Float.BYTES), ldb, beta, c.asSlice(cOffset * Float.BYTES), ldc);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeA = copyIn(arena, a, aOffset, transA ? k : m, transA ? m : k, lda);
            MemorySegment nativeB = copyIn(arena, b, bOffset, transB ? n : k, transB ? k : n, ldb);
            MemorySegment nativeC = copyIn(arena, c, cOffset, m, n, ldc);
            call(transA, transB, m, n, k, alpha, nativeA, lda, nativeB, ldb, beta, nativeC, ldc);
            for (int row = 0; row < m; row++) { // rows only: the gaps between them are not C's
                MemorySegment.copy(nativeC, (long) row * ldc * Float.BYTES, c,
                        (cOffset + (long) row * ldc) * Float.BYTES, (long) n * Float.BYTES);
            }
        }
    }

    /** A native copy of a stored {@code rows × cols} matrix, gaps between rows included. */
    private static MemorySegment copyIn(Arena arena, MemorySegment source, long offsetFloats, int rows, int cols,
            int ld) {
        if (rows == 0 || cols == 0) {
            return arena.allocate(Float.BYTES); // not read; BLAS wants a valid pointer anyway
        }
        long spanBytes = ((long) (rows - 1) * ld + cols) * Float.BYTES;
        MemorySegment copy = arena.allocate(spanBytes, 64);
        MemorySegment.copy(source, offsetFloats * Float.BYTES, copy, 0, spanBytes);
        return copy;
    }

    private void call(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
            MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        CALLS.lock();
        try {
            if ((int) binding.getNumThreads().invokeExact() != threads) {
                binding.setNumThreads().invokeExact(threads);
            }
            binding.sgemm().invokeExact(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
                    transB ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        } finally {
            CALLS.unlock();
        }
    }

    /** Marks the kernel closed; OpenBLAS's own threads belong to the process and stay. Idempotent. */
    @Override
    public void close() {
        closed = true;
    }
}
