package io.zbmd.gpu;

import io.zbmd.gpu.cpu.GemmKernel;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.util.Optional;

/** Picks the CPU backend's GEMM kernel per {@link CpuConfig#gemm()}. */
final class GemmSelection {
    private GemmSelection() {}

    static GemmKernel select(CpuConfig config) {
        int threads = config.threads();
        return switch (config.gemm()) {
            case FASTEST -> call("fastest", threads).map(GemmKernel.class::cast).orElseGet(NaiveGemm::new);
            case JAVA -> call("java", threads).map(GemmKernel.class::cast).orElseGet(NaiveGemm::new);
            case OPENBLAS -> call("openBlas", threads)
                    .flatMap(result -> ((Optional<?>) result).map(GemmKernel.class::cast))
                    .orElseThrow(() -> new IllegalStateException("CpuConfig.gemm is OPENBLAS but OpenBLAS is not"
                            + " installed: install Debian's libopenblas0 (apt-get install libopenblas0) or use"
                            + " CpuConfig.Gemm.FASTEST"));
        };
    }

    /** The kernel factory is in its own class; looked up by name while it is being built. */
    private static Optional<Object> call(String method, int threads) {
        try {
            Class<?> factory = Class.forName("io.zbmd.gpu.cpu.GemmKernels");
            Method m = factory.getMethod(method, int.class);
            return Optional.ofNullable(m.invoke(null, threads));
        } catch (ReflectiveOperationException e) {
            return Optional.empty();
        }
    }

    /** A reference triple loop, used only when no real kernel is available. */
    private static final class NaiveGemm implements GemmKernel {
        @Override
        public String name() {
            return "naive";
        }

        @Override
        public int threads() {
            return 1;
        }

        @Override
        public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a,
                long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c,
                long cOffset, int ldc) {
            var f = java.lang.foreign.ValueLayout.JAVA_FLOAT;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float sum = 0;
                    for (int p = 0; p < k; p++) {
                        float av = a.getAtIndex(f, aOffset + (transA ? (long) p * lda + i : (long) i * lda + p));
                        float bv = b.getAtIndex(f, bOffset + (transB ? (long) j * ldb + p : (long) p * ldb + j));
                        sum += av * bv;
                    }
                    long ci = cOffset + (long) i * ldc + j;
                    c.setAtIndex(f, ci, alpha * sum + (beta == 0 ? 0 : beta * c.getAtIndex(f, ci)));
                }
            }
        }

        @Override
        public void close() {}
    }
}
