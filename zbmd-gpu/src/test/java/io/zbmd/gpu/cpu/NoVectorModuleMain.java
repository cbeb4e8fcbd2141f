package io.zbmd.gpu.cpu;

import io.zbmd.gpu.cpu.internal.MicroKernels;
import io.zbmd.gpu.testing.GemmCase;
import java.lang.foreign.Arena;

/**
 * Run by {@link GemmKernelsTest} in a JVM without {@code jdk.incubator.vector}: builds the
 * Java kernel, prints its name, checks one product. Exits non-zero on any failure.
 */
public final class NoVectorModuleMain {
    private NoVectorModuleMain() {}

    /** @param args none */
    public static void main(String[] args) {
        System.out.println("vector module present: " + MicroKernels.vectorApiPresent());
        try (GemmKernel gemm = GemmKernels.java(2); Arena arena = Arena.ofShared()) {
            System.out.println(gemm.name());
            GemmCase gemmCase = GemmCase.random(31, 150);
            GemmCase.Data data = gemmCase.allocate(arena);
            float[] before = data.cFloats();
            gemmCase.run(gemm, data);
            gemmCase.assertMatchesReference(before, data);
        }
        System.out.println("ok");
    }
}
