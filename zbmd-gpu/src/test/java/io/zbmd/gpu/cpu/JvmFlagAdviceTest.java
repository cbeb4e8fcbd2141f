package io.zbmd.gpu.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JvmFlagAdviceTest {

    @Test
    void aJvmWithBothFlagsGetsNoAdvice() {
        assertThat(CpuBackend.jvmFlagAdvice(true, true, true)).isEmpty();
        assertThat(CpuBackend.jvmFlagAdvice(false, false, true)).as("no Vector API asked for").isEmpty();
    }

    @Test
    void eachMissingFlagIsNamedWithWhatItCosts() {
        assertThat(CpuBackend.jvmFlagAdvice(true, false, true)).hasValueSatisfying(advice -> assertThat(advice)
                .contains("--add-modules jdk.incubator.vector").contains("scalar loops")
                .doesNotContain("--enable-native-access"));
        assertThat(CpuBackend.jvmFlagAdvice(true, true, false)).hasValueSatisfying(advice -> assertThat(advice)
                .contains("--enable-native-access=ALL-UNNAMED").doesNotContain("jdk.incubator.vector"));
        assertThat(CpuBackend.jvmFlagAdvice(true, false, false)).hasValueSatisfying(advice -> assertThat(advice)
                .contains("jdk.incubator.vector").contains("--enable-native-access").contains("getting-started"));
    }
}
