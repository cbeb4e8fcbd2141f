package io.zbmd.gpu.cpu;

/**
 * The CPU backend's configuration, validated when built.
 *
 * @param threads compute threads for the kernels that use several (GEMM), 1 to 256
 * @param memoryBudgetBytes the memory pool's budget, positive
 * @param useVectorApi use the Vector API where the module is present (else scalar loops)
 * @param gemm which matrix multiply: {@link Gemm#FASTEST} measures the candidates once and
 *     takes the faster
 * @param trackAllocations remember where each buffer was allocated, for leak reports
 */
public record CpuConfig(int threads, long memoryBudgetBytes, boolean useVectorApi, Gemm gemm, boolean trackAllocations) {

    /** Which GEMM the CPU backend uses. */
    public enum Gemm {
        /** The faster of native OpenBLAS (if installed) and the pure-Java kernel, measured once. */
        FASTEST,
        /** zbmd's blocked, packed pure-Java kernel. */
        JAVA,
        /** OpenBLAS through the FFM API; fails to start if it is not installed. */
        OPENBLAS
    }

    /** Validates, naming the field. */
    public CpuConfig {
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("CpuConfig.threads must be between 1 and 256, got " + threads);
        }
        if (memoryBudgetBytes <= 0) {
            throw new IllegalArgumentException("CpuConfig.memoryBudgetBytes must be positive, got " + memoryBudgetBytes);
        }
        java.util.Objects.requireNonNull(gemm, "CpuConfig.gemm must not be null");
    }

    /**
     * @return one thread per processor, a 4 GiB budget, the Vector API, the fastest GEMM
     */
    public static CpuConfig defaults() {
        return new CpuConfig(Runtime.getRuntime().availableProcessors(), 4L << 30, true, Gemm.FASTEST, false);
    }

    /** @param value threads @return a copy with it */
    public CpuConfig withThreads(int value) {
        return new CpuConfig(value, memoryBudgetBytes, useVectorApi, gemm, trackAllocations);
    }

    /** @param value the budget in bytes @return a copy with it */
    public CpuConfig withMemoryBudgetBytes(long value) {
        return new CpuConfig(threads, value, useVectorApi, gemm, trackAllocations);
    }

    /** @param value whether to use the Vector API @return a copy with it */
    public CpuConfig withVectorApi(boolean value) {
        return new CpuConfig(threads, memoryBudgetBytes, value, gemm, trackAllocations);
    }

    /** @param value the GEMM @return a copy with it */
    public CpuConfig withGemm(Gemm value) {
        return new CpuConfig(threads, memoryBudgetBytes, useVectorApi, value, trackAllocations);
    }

    /** @param value whether to track allocations @return a copy with it */
    public CpuConfig withTrackAllocations(boolean value) {
        return new CpuConfig(threads, memoryBudgetBytes, useVectorApi, gemm, value);
    }
}
