package io.zbmd.gpu.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.cpu.internal.MicroKernels;
import io.zbmd.gpu.cpu.internal.OpenBlasGemm;
import io.zbmd.gpu.testing.GemmCase;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The factory: which kernel each method builds, and the fallback without the Vector API. */
class GemmKernelsTest {
    @Test
    void javaUsesTheVectorApiWhenThisJvmHasIt() {
        try (GemmKernel gemm = GemmKernels.java(1)) {
            assertThat(gemm.threads()).isEqualTo(1);
            assertThat(gemm.name()).contains(MicroKernels.vectorApiPresent() ? "Vector API" : "scalar", "1 thread");
            check(gemm);
        }
    }

    @Test
    void theVectorPropertySwitchesToTheScalarKernel() {
        String previous = System.getProperty(MicroKernels.VECTOR_PROPERTY);
        System.setProperty(MicroKernels.VECTOR_PROPERTY, "false");
        try (GemmKernel gemm = GemmKernels.java(2)) {
            assertThat(gemm.name()).contains("scalar", "2 threads");
            check(gemm);
        } finally {
            restore(MicroKernels.VECTOR_PROPERTY, previous);
        }
    }

    @Test
    void openBlasIsEmptyExactlyWhenTheLibraryIsMissing() {
        Optional<GemmKernel> openBlas = GemmKernels.openBlas(1);
        assertThat(openBlas.isPresent()).isEqualTo(OpenBlasGemm.available());
        openBlas.ifPresent(gemm -> {
            try (gemm) {
                check(gemm);
            }
        });
    }

    @Test
    void fastestReturnsAWorkingKernelAndAPinnedChoiceIsHonoured() {
        try (GemmKernel gemm = GemmKernels.fastest(1)) {
            check(gemm);
        }
        String previous = System.getProperty(GemmKernels.CHOICE_PROPERTY);
        try {
            System.setProperty(GemmKernels.CHOICE_PROPERTY, "java");
            try (GemmKernel gemm = GemmKernels.fastest(1)) {
                assertThat(gemm.name()).contains("zbmd Java");
            }
            System.setProperty(GemmKernels.CHOICE_PROPERTY, "cuda");
            assertThatThrownBy(() -> GemmKernels.fastest(1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cuda");
        } finally {
            restore(GemmKernels.CHOICE_PROPERTY, previous);
        }
    }

    @Test
    void threadCountsBelowOneAreRefused() {
        assertThatThrownBy(() -> GemmKernels.java(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads = 0");
        assertThatThrownBy(() -> GemmKernels.openBlas(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads = -1");
        assertThatThrownBy(() -> GemmKernels.fastest(0)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A JVM started without {@code --add-modules jdk.incubator.vector} must get the scalar
     * kernel, never load the Vector API one (which would fail to link), and compute correctly.
     */
    @Test
    void aJvmWithoutTheVectorModuleFallsBackToTheScalarKernel() throws IOException, InterruptedException {
        String output = runChildJvm("--enable-native-access=ALL-UNNAMED");
        assertThat(output).contains("vector module present: false", "java: zbmd Java SGEMM (scalar FMA", "ok");
    }

    /** Where OpenBLAS cannot be loaded, openBlas is empty and fastest is the Java kernel. */
    @Test
    void aJvmWithoutOpenBlasFallsBackToTheJavaKernel() throws IOException, InterruptedException {
        String output = runChildJvm("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-D" + OpenBlasGemm.LIBRARY_PROPERTY + "=libzbmd-no-such-blas.so.0");
        assertThat(output).contains("openblas present: false", "fastest: zbmd Java SGEMM (Vector API", "ok");
    }

    /** Runs {@link ChildJvmMain} in a new JVM with the given options; returns its output once it exited 0. */
    private static String runChildJvm(String... jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ChildJvmMain.class.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean exited = child.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly();
        }
        assertThat(exited).as("child JVM exited; output: %s", output).isTrue();
        assertThat(child.exitValue()).as("exit status; output: %s", output).isZero();
        return output;
    }

    private static void check(GemmKernel gemm) {
        for (GemmCase gemmCase : List.of(GemmCase.random(21, 80), GemmCase.random(22, 80))) {
            try (Arena arena = Arena.ofShared()) {
                GemmCase.Data data = gemmCase.allocate(arena);
                float[] before = data.cFloats();
                gemmCase.run(gemm, data);
                gemmCase.assertMatchesReference(before, data);
            }
        }
    }

    private static void restore(String property, String previous) {
        if (previous == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, previous);
        }
    }
}
