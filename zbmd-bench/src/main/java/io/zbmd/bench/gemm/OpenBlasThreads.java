package io.zbmd.bench.gemm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * OpenBLAS's process-wide thread count, set through the FFM API on {@code libopenblas.so.0}.
 * Debian's {@code libblas.so.3}, which netlib's JNI binding loads, is a thin library that
 * links to that same {@code libopenblas.so.0}, so this is also the count netlib's calls use
 * (JMH's {@code @Fork} cannot set {@code OPENBLAS_NUM_THREADS} in the fork's environment).
 *
 * <p>Not thread-safe with concurrent BLAS calls; set it in a benchmark's setup.
 */
final class OpenBlasThreads {
    private OpenBlasThreads() {}

    private static final class Functions {
        static final MethodHandle SET;
        static final MethodHandle GET;

        static {
            SymbolLookup openBlas = SymbolLookup.libraryLookup("libopenblas.so.0", Arena.global());
            Linker linker = Linker.nativeLinker();
            SET = linker.downcallHandle(openBlas.find("openblas_set_num_threads").orElseThrow(),
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
            GET = linker.downcallHandle(openBlas.find("openblas_get_num_threads").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
        }
    }

    /**
     * Sets the count and reads it back.
     *
     * @param threads threads per BLAS call
     * @throws IllegalStateException if OpenBLAS reports another count afterwards
     * @throws IllegalArgumentException if {@code libopenblas.so.0} cannot be loaded
     */
    static void set(int threads) {
        try {
            Functions.SET.invokeExact(threads);
            int actual = (int) Functions.GET.invokeExact();
            if (actual != threads) {
                throw new IllegalStateException("asked OpenBLAS for " + threads + " threads, it uses " + actual);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
