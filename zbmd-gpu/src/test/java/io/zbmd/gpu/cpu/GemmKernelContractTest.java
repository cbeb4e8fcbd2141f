package io.zbmd.gpu.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.gpu.cpu.internal.BlockedGemm;
import io.zbmd.gpu.cpu.internal.MicroKernels;
import io.zbmd.gpu.testing.GemmCase;
import io.zbmd.testing.Seeds;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@link GemmKernel} promises, checked on every kernel this JVM can build: the Java
 * kernel (Vector API where present) on one and two threads, the scalar Java kernel, and
 * OpenBLAS on one and two threads where it is installed. Each result is checked against a
 * naive double-precision reference.
 */
class GemmKernelContractTest {
    private static final List<GemmKernel> KERNELS = new ArrayList<>();

    @BeforeAll
    static void kernels() {
        KERNELS.add(GemmKernels.java(1));
        KERNELS.add(GemmKernels.java(2));
        KERNELS.add(new BlockedGemm(2, MicroKernels.scalar(), MicroKernels.blockingFor(MicroKernels.scalar())));
        GemmKernels.openBlas(1).ifPresent(KERNELS::add);
        GemmKernels.openBlas(2).ifPresent(KERNELS::add);
    }

    @AfterAll
    static void close() {
        KERNELS.forEach(GemmKernel::close);
    }

    static Stream<GemmKernel> kernelsUnderTest() {
        return KERNELS.stream();
    }

    /** Every kernel with 25 seeds: shapes up to 300, all transposes, scalars, offsets, gaps. */
    static Stream<Arguments> kernelsAndSeeds() {
        List<Long> seeds = Seeds.of(25).toList();
        return KERNELS.stream().flatMap(kernel -> seeds.stream().map(seed -> Arguments.of(kernel, seed)));
    }

    @ParameterizedTest(name = "{0}, seed {1}", autoCloseArguments = false)
    @MethodSource("kernelsAndSeeds")
    void matchesTheReferenceOnRandomCases(GemmKernel gemm, long seed) {
        check(GemmCase.random(seed, 300), gemm);
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("kernelsUnderTest")
    void handlesEdgeShapes(GemmKernel gemm) {
        GemmCase base = GemmCase.random(5, 10);
        for (int[] shape : new int[][] {{1, 1, 1}, {1, 77, 3}, {77, 1, 3}, {5, 7, 1}, {6, 32, 513}, {7, 33, 512},
            {13, 65, 2}}) {
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    GemmCase gemmCase = new GemmCase(base.seed(), transA, transB, 0, 0, 0, 1.5f, -0.5f, 3, 1, 2, 1,
                            1, 1).withShape(shape[0], shape[1], shape[2]);
                    check(gemmCase, gemm);
                    check(gemmCase.withScalars(-1f, 0f), gemm);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("kernelsUnderTest")
    void emptyProductsOnlyScaleC(GemmKernel gemm) {
        GemmCase base = GemmCase.random(5, 10);
        check(base.withShape(7, 9, 0).withScalars(1f, -2f), gemm);
        check(base.withShape(7, 9, 0).withScalars(1f, 0f), gemm); // C starts as NaN, must become 0
        check(base.withShape(0, 9, 4), gemm);
        check(base.withShape(7, 0, 4), gemm);
        check(base.withShape(0, 0, 0), gemm);
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("kernelsUnderTest")
    void alphaZeroReadsNeitherANorB(GemmKernel gemm) {
        GemmCase alphaZero = GemmCase.random(3, 10).withShape(9, 40, 5).withScalars(0f, 0.5f);
        try (Arena arena = Arena.ofShared()) {
            GemmCase.Data data = alphaZero.allocate(arena);
            data.a().fill((byte) 0xFF); // every float NaN: any read of A or B would show in C
            data.b().fill((byte) 0xFF);
            float[] before = data.cFloats();
            alphaZero.run(gemm, data);
            for (int i = 0; i < alphaZero.m(); i++) {
                for (int j = 0; j < alphaZero.n(); j++) {
                    int at = (int) (alphaZero.cOffset() + (long) i * alphaZero.ldc() + j);
                    assertThat(data.c().getAtIndex(ValueLayout.JAVA_FLOAT, at)).isEqualTo(0.5f * before[at]);
                }
            }
            alphaZero.assertGapsUntouched(data);
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("kernelsUnderTest")
    void confinedAndHeapSegmentsWork(GemmKernel gemm) {
        GemmCase gemmCase = GemmCase.random(17, 10).withShape(130, 150, 90).withScalars(1f, 0.5f);
        try (Arena arena = Arena.ofConfined()) {
            GemmCase.Data data = gemmCase.allocate(arena);
            float[] before = data.cFloats();
            gemmCase.run(gemm, data);
            gemmCase.assertMatchesReference(before, data);
            // The same matrices on the heap.
            GemmCase.Data onHeap = new GemmCase.Data(MemorySegment.ofArray(data.a().toArray(ValueLayout.JAVA_FLOAT)),
                    MemorySegment.ofArray(data.b().toArray(ValueLayout.JAVA_FLOAT)), MemorySegment.ofArray(before));
            gemmCase.run(gemm, onHeap);
            assertThat(onHeap.cFloats()).isEqualTo(data.cFloats());
        }
    }

    private static void check(GemmCase gemmCase, GemmKernel gemm) {
        try (Arena arena = Arena.ofShared()) {
            GemmCase.Data data = gemmCase.allocate(arena);
            float[] before = data.cFloats();
            gemmCase.run(gemm, data);
            gemmCase.assertMatchesReference(before, data);
        }
    }
}
