package io.zbmd.gpu.cpu.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zbmd.gpu.cpu.GemmKernel;
import io.zbmd.gpu.testing.GemmCase;
import io.zbmd.testing.Seeds;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OpenBLAS through the FFM API, against the same reference as the Java kernel, and checked for
 * the determinism zbmd relies on. Skipped where OpenBLAS is not installed.
 */
class OpenBlasGemmTest {
    static Stream<Long> seeds() {
        return Seeds.of(40);
    }

    @BeforeEach
    void needsOpenBlas() {
        assumeTrue(OpenBlasGemm.available(), "OpenBLAS (libopenblas.so.0) is not installed");
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void matchesTheReference(long seed) {
        try (GemmKernel gemm = OpenBlasGemm.open(2).orElseThrow(); Arena arena = Arena.ofShared()) {
            GemmCase gemmCase = GemmCase.random(seed, 300);
            GemmCase.Data data = gemmCase.allocate(arena);
            float[] before = data.cFloats();
            gemmCase.run(gemm, data);
            gemmCase.assertMatchesReference(before, data);
        }
    }

    /**
     * Loading OpenBLAS shortened its threads' spinning in the C environment it reads (Java's
     * own view of the environment is a copy taken at start-up, so libc's getenv is asked).
     */
    @Test
    void loadingItSetsTheIdleThreadTimeoutUnlessTheEnvironmentDid() throws Throwable {
        assumeTrue(System.getenv(OpenBlasGemm.THREAD_TIMEOUT) == null, "the environment sets it");
        Linker linker = Linker.nativeLinker();
        MethodHandle getenv = linker.downcallHandle(linker.defaultLookup().find("getenv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = (MemorySegment) getenv.invokeExact(
                    arena.allocateFrom(OpenBlasGemm.THREAD_TIMEOUT));
            assertThat(value.address()).as("getenv(%s)", OpenBlasGemm.THREAD_TIMEOUT).isNotZero();
            assertThat(value.reinterpret(16).getString(0)).isEqualTo("20");
        }
    }

    /** OpenBLAS splits C between its threads statically and never splits k: it should hold. */
    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2})
    void twentyRunsGiveIdenticalBits(int threads) {
        GemmCase gemmCase = GemmCase.random(13, 10).withShape(517, 389, 1031).withScalars(1.5f, -0.25f);
        try (GemmKernel gemm = OpenBlasGemm.open(threads).orElseThrow(); Arena arena = Arena.ofShared()) {
            GemmCase.Data data = gemmCase.allocate(arena);
            float[] before = data.cFloats();
            float[] first = null;
            for (int run = 0; run < 20; run++) {
                MemorySegment.copy(before, 0, data.c(), ValueLayout.JAVA_FLOAT, 0, before.length);
                gemmCase.run(gemm, data);
                float[] result = data.cFloats();
                if (first == null) {
                    first = result;
                    gemmCase.assertMatchesReference(before, data);
                }
                assertThat(Arrays.equals(result, first)).as("run %d equals run 0", run).isTrue();
            }
        }
    }

    @Test
    void nameSaysOpenBlasAndTheThreads() {
        try (GemmKernel gemm = OpenBlasGemm.open(2).orElseThrow()) {
            assertThat(gemm.name()).contains("OpenBLAS", "native", "2 threads");
            assertThat(gemm.threads()).isEqualTo(2);
        }
    }
}
