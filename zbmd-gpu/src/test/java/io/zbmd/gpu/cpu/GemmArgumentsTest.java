package io.zbmd.gpu.cpu;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kernel refuses bad arguments before touching memory, naming the argument and its value. */
class GemmArgumentsTest {
    private static final List<GemmKernel> KERNELS = new ArrayList<>();
    private static Arena arena;
    private static MemorySegment a;
    private static MemorySegment b;
    private static MemorySegment c;

    @BeforeAll
    static void kernels() {
        KERNELS.add(GemmKernels.java(2));
        GemmKernels.openBlas(2).ifPresent(KERNELS::add);
        arena = Arena.ofShared();
        a = arena.allocate(4L * 8 * 8);
        b = arena.allocate(4L * 8 * 8);
        c = arena.allocate(4L * 8 * 8);
    }

    @AfterAll
    static void close() {
        KERNELS.forEach(GemmKernel::close);
        arena.close();
    }

    static Stream<GemmKernel> kernelsUnderTest() {
        return KERNELS.stream();
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("kernelsUnderTest")
    void negativeDimensionsAreRefused(GemmKernel gemm) {
        assertRefused(() -> gemm.sgemm(false, false, -1, 4, 4, 1f, a, 0, 4, b, 0, 4, 0f, c, 0, 4), "m = -1");
        assertRefused(() -> gemm.sgemm(false, false, 4, -2, 4, 1f, a, 0, 4, b, 0, 4, 0f, c, 0, 4), "n = -2");
        assertRefused(() -> gemm.sgemm(false, false, 4, 4, -3, 1f, a, 0, 4, b, 0, 4, 0f, c, 0, 4), "k = -3");
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("kernelsUnderTest")
    void leadingDimensionsBelowTheStoredRowAreRefused(GemmKernel gemm) {
        // A is 4 × 5 (lda ≥ 5), or 5 × 4 stored when transposed (lda ≥ 4).
        assertRefused(() -> gemm.sgemm(false, false, 4, 3, 5, 1f, a, 0, 4, b, 0, 3, 0f, c, 0, 3), "lda = 4");
        assertRefused(() -> gemm.sgemm(true, false, 4, 3, 5, 1f, a, 0, 3, b, 0, 3, 0f, c, 0, 3), "lda = 3");
        assertRefused(() -> gemm.sgemm(false, false, 4, 3, 5, 1f, a, 0, 5, b, 0, 2, 0f, c, 0, 3), "ldb = 2");
        assertRefused(() -> gemm.sgemm(false, true, 4, 3, 5, 1f, a, 0, 5, b, 0, 4, 0f, c, 0, 3), "ldb = 4");
        assertRefused(() -> gemm.sgemm(false, false, 4, 3, 5, 1f, a, 0, 5, b, 0, 3, 0f, c, 0, 2), "ldc = 2");
        assertRefused(() -> gemm.sgemm(false, false, 0, 0, 0, 1f, a, 0, 0, b, 0, 1, 0f, c, 0, 1), "lda = 0");
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("kernelsUnderTest")
    void matricesThatDoNotFitTheirSegmentsAreRefused(GemmKernel gemm) {
        // The segments hold 64 floats: an 8 × 8 matrix fits at offset 0 and not at offset 1.
        assertRefused(() -> gemm.sgemm(false, false, 8, 8, 8, 1f, a, 1, 8, b, 0, 8, 0f, c, 0, 8), "a is too small");
        assertRefused(() -> gemm.sgemm(false, false, 8, 8, 8, 1f, a, 0, 8, b, 0, 9, 0f, c, 0, 8), "b is too small");
        assertRefused(() -> gemm.sgemm(false, false, 8, 8, 8, 1f, a, 0, 8, b, 0, 8, 0f, c, 57, 8), "c is too small");
        assertRefused(() -> gemm.sgemm(false, false, 8, 8, 8, 1f, a, -1, 8, b, 0, 8, 0f, c, 0, 8), "aOffset = -1");
        assertRefused(() -> gemm.sgemm(false, false, 8, 8, 8, 1f, a, Long.MAX_VALUE, 8, b, 0, 8, 0f, c, 0, 8),
                "a is too small");
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("kernelsUnderTest")
    void aReadOnlyCIsRefused(GemmKernel gemm) {
        assertRefused(() -> gemm.sgemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c.asReadOnly(), 0, 2),
                "read-only");
    }

    private static void assertRefused(Runnable call, String message) {
        assertThatThrownBy(call::run).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }
}
