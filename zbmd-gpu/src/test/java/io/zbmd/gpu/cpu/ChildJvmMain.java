package io.zbmd.gpu.cpu;

import io.zbmd.gpu.cpu.internal.MicroKernels;
import io.zbmd.gpu.testing.GemmCase;
import java.lang.foreign.Arena;

/**
 * Run by {@link GemmKernelsTest} in a JVM set up differently from the test's (without
 * {@code jdk.incubator.vector}, or with OpenBLAS missing): prints what the factory finds and
 * checks one product on {@link GemmKernels#java(int)} and on {@link GemmKernels#fastest(int)}.
 * Exits non-zero on any failure.
 */
public final class ChildJvmMain {
    private ChildJvmMain() {}

    /** @param args none */
    public static void main(String[] args) {
        System.out.println("vector module present: " + MicroKernels.vectorApiPresent());
        System.out.println("openblas present: " + GemmKernels.openBlas(1).isPresent());
        try (GemmKernel java = GemmKernels.java(2); GemmKernel fastest = GemmKernels.fastest(1);
                Arena arena = Arena.ofShared()) {
            System.out.println("java: " + java.name());
            System.out.println("fastest: " + fastest.name());
            for (GemmKernel gemm : new GemmKernel[] {java, fastest}) {
                GemmCase gemmCase = GemmCase.random(31, 150);
                GemmCase.Data data = gemmCase.allocate(arena);
                float[] before = data.cFloats();
                gemmCase.run(gemm, data);
                gemmCase.assertMatchesReference(before, data);
            }
        }
        System.out.println("ok");
    }
}
