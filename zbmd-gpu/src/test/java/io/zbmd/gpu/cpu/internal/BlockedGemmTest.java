package io.zbmd.gpu.cpu.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.cpu.GemmKernel;
import io.zbmd.gpu.testing.GemmCase;
import io.zbmd.testing.Seeds;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java SGEMM against a double-precision reference, on random shapes, transposes, scalars,
 * offsets and leading dimensions; its two micro-kernels against each other; its determinism;
 * its threads.
 */
class BlockedGemmTest {
    /**
     * A blocking so small that shapes up to 300 go through every loop many times: several
     * slices of k, row blocks and column panels, and edge tiles in each. Two tiles of the
     * kernel's (whose width follows the machine's vector size) per row block and panel.
     */
    private static Blocking tiny(MicroKernel kernel) {
        return new Blocking(kernel.mr(), kernel.nr(), 2 * kernel.mr(), 7, 2 * kernel.nr());
    }

    static Stream<Long> seeds() {
        return Seeds.of(60);
    }

    private static MicroKernel vector() {
        return MicroKernels.vectorApiPresent() ? MicroKernels.vector() : MicroKernels.scalar();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void vectorKernelMatchesTheReference(long seed) {
        MicroKernel kernel = vector();
        try (GemmKernel gemm = new BlockedGemm(1, kernel, MicroKernels.blockingFor(kernel))) {
            check(GemmCase.random(seed, 300), gemm);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void vectorKernelWithTinyBlocksOnThreeThreadsMatchesTheReference(long seed) {
        // Splitting from 1 multiply-add: every case with room for it runs in three parts.
        try (GemmKernel gemm = new BlockedGemm(3, vector(), tiny(vector()), 1)) {
            check(GemmCase.random(seed, 300), gemm);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void scalarKernelWithTinyBlocksMatchesTheReference(long seed) {
        try (GemmKernel gemm = new BlockedGemm(2, MicroKernels.scalar(), tiny(MicroKernels.scalar()), 1)) {
            check(GemmCase.random(seed, 120), gemm);
        }
    }

    @Test
    void aDeepProductSpansSeveralSlicesOfTheDefaultKc() {
        MicroKernel kernel = vector();
        Blocking blocking = MicroKernels.blockingFor(kernel);
        GemmCase deep = GemmCase.random(Seeds.of(1).findFirst().orElseThrow(), 40)
                .withShape(37, 45, 2 * blocking.kc() + 3).withScalars(0.75f, -1.5f);
        try (GemmKernel gemm = new BlockedGemm(2, kernel, blocking, 1)) {
            check(deep, gemm);
        }
    }

    /**
     * Both kernels use fused multiply-adds in the same order (see {@link MicroKernel}), so they
     * agree bit for bit, not only within a tolerance.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void vectorAndScalarKernelsAgreeBitForBit(long seed) {
        GemmCase random = GemmCase.random(seed, 200);
        Blocking vectorBlocking = MicroKernels.blockingFor(vector());
        Blocking scalarBlocking = MicroKernels.blockingFor(MicroKernels.scalar());
        for (GemmCase gemmCase : List.of(random, random.withShape(random.m(), random.n(), 1300))) {
            float[] fromVector = result(gemmCase, new BlockedGemm(2, vector(), vectorBlocking, 1));
            float[] fromScalar = result(gemmCase, new BlockedGemm(1, MicroKernels.scalar(), scalarBlocking));
            assertThat(fromVector).as("%s, %s", gemmCase, Seeds.replay(seed)).isEqualTo(fromScalar);
        }
    }

    @Test
    void twentyRunsOnTwoThreadsGiveIdenticalBits() {
        GemmCase gemmCase = GemmCase.random(7, 10).withShape(301, 283, 1100).withScalars(1.25f, 0.5f);
        MicroKernel kernel = vector();
        try (Arena arena = Arena.ofShared();
                BlockedGemm gemm = new BlockedGemm(2, kernel, MicroKernels.blockingFor(kernel))) {
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

    /** Stronger than the contract: the parts of C do not change the order of any sum. */
    @Test
    void resultsDoNotDependOnTheThreadCount() {
        GemmCase gemmCase = GemmCase.random(11, 10).withShape(250, 190, 700).withScalars(-0.5f, 2f);
        MicroKernel kernel = vector();
        Blocking blocking = MicroKernels.blockingFor(kernel);
        float[] one = result(gemmCase, new BlockedGemm(1, kernel, blocking));
        for (int threads = 2; threads <= 4; threads++) {
            assertThat(result(gemmCase, new BlockedGemm(threads, kernel, blocking, 1)))
                    .as("%d threads", threads).isEqualTo(one);
        }
    }

    @Test
    void segmentsConfinedToTheCallerGiveTheSameBitsOnTheCallerAlone() {
        GemmCase gemmCase = GemmCase.random(17, 10).withShape(130, 150, 90).withScalars(1f, 0.5f);
        MicroKernel kernel = vector();
        float[] shared = result(gemmCase, new BlockedGemm(2, kernel, MicroKernels.blockingFor(kernel), 1));
        try (Arena arena = Arena.ofConfined();
                GemmKernel gemm = new BlockedGemm(2, kernel, MicroKernels.blockingFor(kernel), 1)) {
            GemmCase.Data data = gemmCase.allocate(arena);
            gemmCase.run(gemm, data);
            assertThat(data.cFloats()).isEqualTo(shared);
        }
    }

    /** Concurrent callers share the workers and the buffer pool; each gets its own product's bits. */
    @Test
    void concurrentCallersGetTheSameBitsAsOneCaller() throws Exception {
        MicroKernel kernel = vector();
        List<GemmCase> cases = Seeds.of(8).map(seed -> GemmCase.random(seed, 200)).toList();
        List<float[]> alone = new ArrayList<>();
        try (BlockedGemm gemm = new BlockedGemm(2, kernel, MicroKernels.blockingFor(kernel), 1)) {
            for (GemmCase gemmCase : cases) {
                alone.add(run(gemmCase, gemm));
            }
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> together = new ArrayList<>();
                for (int round = 0; round < 5; round++) {
                    for (GemmCase gemmCase : cases) {
                        together.add(callers.submit(() -> run(gemmCase, gemm)));
                    }
                }
                for (int i = 0; i < together.size(); i++) {
                    GemmCase gemmCase = cases.get(i % cases.size());
                    assertThat(together.get(i).get()).as("%s, %s", gemmCase, Seeds.replay(gemmCase.seed()))
                            .isEqualTo(alone.get(i % cases.size()));
                }
            } finally {
                callers.shutdown();
            }
        }
    }

    @Test
    void workersAreDaemonsAndStopOnClose() throws InterruptedException {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        MicroKernel kernel = vector();
        BlockedGemm gemm = new BlockedGemm(3, kernel, MicroKernels.blockingFor(kernel), 1);
        List<Thread> workers = new ArrayList<>(Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.getName().startsWith("zbmd-compute-"))
                .collect(Collectors.toList()));
        assertThat(workers).hasSize(2).allMatch(Thread::isDaemon);
        check(GemmCase.random(9, 10).withShape(64, 70, 30), gemm);
        gemm.close();
        for (Thread worker : workers) {
            worker.join(10_000);
            assertThat(worker.isAlive()).as("%s after close", worker.getName()).isFalse();
        }
        assertThatThrownBy(() -> check(GemmCase.random(9, 10), gemm))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void nameSaysWhichKernelAndHowManyThreads() {
        try (GemmKernel gemm = new BlockedGemm(2, MicroKernels.scalar(), MicroKernels.blockingFor(
                MicroKernels.scalar()))) {
            assertThat(gemm.name()).contains("Java", "scalar", "2 threads");
            assertThat(gemm.threads()).isEqualTo(2);
        }
    }

    @Test
    void aBlockingForAnotherTileIsRefused() {
        assertThatThrownBy(() -> new BlockedGemm(1, MicroKernels.scalar(), new Blocking(4, 32, 8, 8, 64)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4×32");
        assertThatThrownBy(() -> new Blocking(6, 32, 13, 8, 64))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mc = 13");
    }

    private static void check(GemmCase gemmCase, GemmKernel gemm) {
        try (Arena arena = Arena.ofShared()) {
            GemmCase.Data data = gemmCase.allocate(arena);
            float[] before = data.cFloats();
            gemmCase.run(gemm, data);
            gemmCase.assertMatchesReference(before, data);
        }
    }

    /** Runs a case on a kernel, closes the kernel, and returns C's segment. */
    private static float[] result(GemmCase gemmCase, GemmKernel gemm) {
        try (gemm) {
            return run(gemmCase, gemm);
        }
    }

    /** Runs a case on a kernel and returns C's segment. */
    private static float[] run(GemmCase gemmCase, GemmKernel gemm) {
        try (Arena arena = Arena.ofShared()) {
            GemmCase.Data data = gemmCase.allocate(arena);
            gemmCase.run(gemm, data);
            return data.cFloats();
        }
    }
}
