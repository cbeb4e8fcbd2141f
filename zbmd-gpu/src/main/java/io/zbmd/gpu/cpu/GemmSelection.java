package io.zbmd.gpu.cpu;


/** Picks the CPU backend's GEMM kernel per {@link CpuConfig#gemm()}. */
final class GemmSelection {
    private GemmSelection() {}

    static GemmKernel select(CpuConfig config) {
        int threads = config.threads();
        return switch (config.gemm()) {
            case FASTEST -> GemmKernels.fastest(threads);
            case JAVA -> GemmKernels.java(threads);
            case OPENBLAS -> GemmKernels.openBlas(threads).orElseThrow(() -> new IllegalStateException(
                    "CpuConfig.gemm is OPENBLAS but OpenBLAS is not installed: install Debian's libopenblas0"
                            + " (apt-get install libopenblas0) or use CpuConfig.Gemm.FASTEST"));
        };
    }
}
