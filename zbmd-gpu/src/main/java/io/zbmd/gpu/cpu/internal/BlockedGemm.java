package io.zbmd.gpu.cpu.internal;

import io.zbmd.gpu.cpu.GemmKernel;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * SGEMM in Java, after Goto and van de Geijn ("Anatomy of High-Performance Matrix
 * Multiplication", ACM TOMS 34(3), 2008) as BLIS arranges it (Van Zee and van de Geijn, ACM
 * TOMS 41(3), 2015): five loops around a {@link MicroKernel}. For each {@code nc}-wide panel of
 * C's columns and each {@code kc}-deep slice of k, a {@code kc × nc} panel of {@code op(B)} is
 * packed (it stays in L3); for each {@code mc}-high block of rows, an {@code mc × kc} block of
 * {@code op(A)} is packed (L2); then, for each {@code mr}-row micro-panel of that block (it stays
 * in L1), the micro-kernel computes every tile along the panel, streaming B's micro-panels.
 * BLIS's order is the other way round (B's micro-panel in L1, A's streamed), but with
 * 32-float-wide tiles B's micro-panel is 64 KiB at {@code kc = 512}, twice Zen 4's L1, and that
 * order ran 10% slower.
 *
 * <p><b>Threads and determinism.</b> C is cut into one part per thread, by columns (in
 * multiples of {@code nr}) when it is at least as wide as it is high, else by rows (in
 * multiples of {@code mr}), a function of m, n, k and the thread count alone. k is never split
 * between threads. Every element of C is then summed in one fixed order, set by {@code kc}
 * only (see {@link MicroKernel}): results are bit-identical from run to run whatever the
 * timing, and in fact whatever the thread count.
 *
 * <p>Segments confined to the calling thread ({@link java.lang.foreign.Arena#ofConfined()}) are
 * accepted, but the call then runs on the caller alone: use shared, global or automatic
 * arenas for multi-threaded calls.
 *
 * <p>Thread-safe: concurrent calls share the workers and take packing buffers from a pool.
 */
public final class BlockedGemm implements GemmKernel {
    /**
     * Below this many multiply-adds (m·n·k) a call runs on the caller alone: handing a part to
     * a parked worker costs tens of microseconds, as long as 2^21 multiply-adds take.
     */
    static final long PARALLEL_MIN_MULTIPLY_ADDS = 1L << 21;

    private final MicroKernel kernel;
    private final Blocking blocking;
    private final int threads;
    private final long parallelMinMultiplyAdds;
    private final ComputeWorkers workers;
    private final ConcurrentLinkedQueue<Workspace> workspaces = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /** One call's arguments, shared read-only by its parts. */
    private record Problem(boolean transA, boolean transB, int k, float alpha, MemorySegment a, long aOffset,
            int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset, int ldc) {}

    /**
     * @param threads threads per call, the caller's included; starts {@code threads - 1} workers
     * @param kernel the micro-kernel
     * @param blocking cache blocking whose tile is the kernel's
     * @throws IllegalArgumentException if {@code threads < 1} or the tiles differ
     */
    public BlockedGemm(int threads, MicroKernel kernel, Blocking blocking) {
        this(threads, kernel, blocking, PARALLEL_MIN_MULTIPLY_ADDS);
    }

    /** As above, with the size from which a call is split; tests split small problems with it. */
    BlockedGemm(int threads, MicroKernel kernel, Blocking blocking, long parallelMinMultiplyAdds) {
        this(threads, kernel, blocking, parallelMinMultiplyAdds, ComputeWorkers.WORKER_SPIN_NS);
    }

    /** As above, with the workers' spin before they park, to measure what spinning buys. */
    BlockedGemm(int threads, MicroKernel kernel, Blocking blocking, long parallelMinMultiplyAdds, long workerSpinNs) {
        if (blocking.mr() != kernel.mr() || blocking.nr() != kernel.nr()) {
            throw new IllegalArgumentException("blocking tile " + blocking.mr() + "×" + blocking.nr()
                    + " is not the kernel's " + kernel.mr() + "×" + kernel.nr());
        }
        this.kernel = kernel;
        this.blocking = blocking;
        this.threads = threads;
        this.parallelMinMultiplyAdds = parallelMinMultiplyAdds;
        this.workers = new ComputeWorkers(threads, workerSpinNs);
    }

    /** @return "zbmd Java SGEMM (Vector API 512-bit, 6×32 tiles), 2 threads"; thread-safe */
    @Override
    public String name() {
        return "zbmd Java SGEMM (" + kernel.description() + "), " + threads + (threads == 1 ? " thread" : " threads");
    }

    /** @return {@link #name()}; thread-safe */
    @Override
    public String toString() {
        return name();
    }

    /** @return the threads one call uses, the caller's included; thread-safe */
    @Override
    public int threads() {
        return threads;
    }

    /** @return the cache blocking; thread-safe */
    public Blocking blocking() {
        return blocking;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Thread-safe. If {@code alpha == 0} or {@code k == 0}, A and B are not read (as in the
     * reference BLAS). Each element of C is accumulated in the order {@link MicroKernel} states.
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
        Problem problem = new Problem(transA, transB, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset,
                ldc);
        // A segment confined to the caller cannot be read by the workers: the caller then
        // computes every part itself, which gives the same bits, only later.
        int parts = workers.accessible(a, b, c) ? parts(m, n, k) : 1;
        if (parts == 1) {
            compute(problem, 0, m, 0, n);
            return;
        }
        boolean byColumns = n >= m;
        int unit = byColumns ? blocking.nr() : blocking.mr();
        int extent = byColumns ? n : m;
        int units = Math.ceilDiv(extent, unit);
        workers.run(parts, part -> {
            // Part boundaries depend on the shape and the part count only.
            int start = Math.min(extent, (int) ((long) units * part / parts) * unit);
            int end = Math.min(extent, (int) ((long) units * (part + 1) / parts) * unit);
            if (byColumns) {
                compute(problem, 0, m, start, end - start);
            } else {
                compute(problem, start, end - start, 0, n);
            }
        });
    }

    private int parts(int m, int n, int k) {
        if (threads == 1 || (long) m * n * k < parallelMinMultiplyAdds) {
            return 1;
        }
        int units = n >= m ? Math.ceilDiv(n, blocking.nr()) : Math.ceilDiv(m, blocking.mr());
        return Math.min(threads, units);
    }

    /** The three outer loops (jc, pc, ic) on the part of C at {@code (row0, col0)}. */
    private void compute(Problem p, int row0, int rows, int col0, int cols) {
        int mc = blocking.mc();
        int kc = blocking.kc();
        int nc = blocking.nc();
        Workspace ws = workspace();
        try {
            int mcMax = roundUp(Math.min(mc, rows), blocking.mr());
            int ncMax = roundUp(Math.min(nc, cols), blocking.nr());
            int kcMax = Math.min(kc, p.k());
            ws.ensure(mcMax * kcMax, ncMax * kcMax, Math.max(mcMax, ncMax));
            for (int jc = 0; jc < cols; jc += nc) {
                int ncBlock = Math.min(nc, cols - jc);
                for (int pc = 0; pc < p.k(); pc += kc) {
                    int kcBlock = Math.min(kc, p.k() - pc);
                    packB(p, pc, col0 + jc, kcBlock, ncBlock, ws);
                    // Beta applies once, with the first slice of k; later slices add to C.
                    float beta = pc == 0 ? p.beta() : 1f;
                    for (int ic = 0; ic < rows; ic += mc) {
                        int mcBlock = Math.min(mc, rows - ic);
                        packA(p, row0 + ic, pc, mcBlock, kcBlock, ws);
                        macroKernel(p, ws, row0 + ic, col0 + jc, mcBlock, ncBlock, kcBlock, beta);
                    }
                }
            }
        } finally {
            workspaces.offer(ws);
        }
    }

    /**
     * The two inner loops: for each micro-panel of A (it stays in L1 across the row of tiles),
     * every micro-panel of the B panel, streamed from L3 by the hardware prefetcher. On Zen 4
     * this order ran at 97 GFLOP/s (1024³, one thread) where BLIS's ran at 87.
     */
    private void macroKernel(Problem p, Workspace ws, int row, int col, int mcBlock, int ncBlock, int kcBlock,
            float beta) {
        int mr = blocking.mr();
        int nr = blocking.nr();
        int aRowStride = aRowStride(p, kcBlock);
        int aStepStride = aStepStride(p);
        for (int ir = 0; ir < mcBlock; ir += mr) {
            int tileRows = Math.min(mr, mcBlock - ir);
            long cRow = p.cOffset() + col + (long) (row + ir) * p.ldc();
            for (int jr = 0; jr < ncBlock; jr += nr) {
                int tileCols = Math.min(nr, ncBlock - jr);
                kernel.multiply(kcBlock, ws.packedA, ir * kcBlock, aRowStride, aStepStride, ws.packedB, jr * kcBlock,
                        p.alpha(), beta, p.c(), cRow + jr, p.ldc(), tileRows, tileCols, ws.tile);
            }
        }
    }

    /**
     * Packs {@code op(A)[row : row + mcBlock, pc : pc + kcBlock]} into micro-panels of mr rows:
     * row-major when A is not transposed (each row is a run of the segment: one bulk copy),
     * step-major when it is (each step is a run across the rows). {@link #aRowStride} and
     * {@link #aStepStride} tell the kernel which.
     */
    private void packA(Problem p, int row, int pc, int mcBlock, int kcBlock, Workspace ws) {
        if (!p.transA()) { // op(A)(i, p) = A(i, p) at i·lda + p
            long origin = p.aOffset() + (long) row * p.lda() + pc;
            Packing.packRowMajor(p.a(), origin, p.lda(), mcBlock, kcBlock, blocking.mr(), ws.packedA);
        } else { // op(A)(i, p) = A(p, i) at p·lda + i
            long origin = p.aOffset() + (long) pc * p.lda() + row;
            kernel.packStepRuns(p.a(), origin, p.lda(), mcBlock, kcBlock, blocking.mr(), ws.packedA, ws.scratch);
        }
    }

    private int aRowStride(Problem p, int kcBlock) {
        return p.transA() ? 1 : kcBlock;
    }

    private int aStepStride(Problem p) {
        return p.transA() ? blocking.mr() : 1;
    }

    /** Packs {@code op(B)[pc : pc + kcBlock, col : col + ncBlock]} into micro-panels of nr columns. */
    private void packB(Problem p, int pc, int col, int kcBlock, int ncBlock, Workspace ws) {
        if (!p.transB()) { // op(B)(p, j) = B(p, j) at p·ldb + j
            long origin = p.bOffset() + (long) pc * p.ldb() + col;
            kernel.packStepRuns(p.b(), origin, p.ldb(), ncBlock, kcBlock, blocking.nr(), ws.packedB, ws.scratch);
        } else { // op(B)(p, j) = B(j, p) at j·ldb + p
            long origin = p.bOffset() + (long) col * p.ldb() + pc;
            Packing.packStepMajorFromRuns(p.b(), origin, p.ldb(), ncBlock, kcBlock, blocking.nr(), ws.packedB);
        }
    }

    private Workspace workspace() {
        Workspace ws = workspaces.poll();
        return ws != null ? ws : new Workspace(blocking.mr() * blocking.nr());
    }

    private static int roundUp(int value, int multiple) {
        return Math.ceilDiv(value, multiple) * multiple;
    }

    /**
     * Stops the workers and drops the packing buffers; later calls throw. Calls already running
     * finish. Idempotent and thread-safe.
     */
    @Override
    public void close() {
        closed = true;
        workers.close();
        workspaces.clear();
    }
}
