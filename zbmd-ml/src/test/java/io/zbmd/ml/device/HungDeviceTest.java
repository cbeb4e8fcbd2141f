package io.zbmd.ml.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.gpu.opencl.OpenClDevices;
import io.zbmd.gpu.vulkan.VulkanContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The health check finds a hung device: a real OpenCL or Vulkan device (PoCL and lavapipe in
 * CI, which installs them) owned by a device actor, answering while healthy, then kept inside
 * its kernels for good. The watchdog must declare it down, after the hang and not before. It
 * runs in a child JVM ({@link HungDeviceMain}), killed afterwards, because a thread stuck in a
 * driver cannot be stopped from Java.
 */
class HungDeviceTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"opencl", "vulkan"})
    void theWatchdogDeclaresADeviceStuckInItsKernelsDown(String kind) throws IOException, InterruptedException {
        boolean present = kind.equals("opencl") ? !OpenClDevices.list().isEmpty() : !VulkanContext.list().isEmpty();
        if (!present && System.getenv("CI") != null) {
            throw new AssertionError("CI installs PoCL and lavapipe, but no " + kind + " device was found");
        }
        Assumptions.assumeTrue(present, "no " + kind + " device here");

        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dorg.lwjgl.system.memoryBackend=ffm", "-cp",
                System.getProperty("java.class.path"), HungDeviceMain.class.getName(), kind);
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                lines.add(line);
            }
            // The child halts once the watchdog has spoken; should it never speak, the wait below ends it.
            assertThat(child.waitFor(5, TimeUnit.MINUTES)).as("child exited: %s", lines).isTrue();
        } finally {
            child.destroyForcibly();
        }
        List<String> steps = lines.stream().filter(line -> line.matches("^(device|healthy|stuck|down):.*")).toList();
        assertThat(steps).as("output: %s", lines).hasSize(4);
        assertThat(steps.get(0)).startsWith("device: " + kind + ":0");
        assertThat(steps.get(1)).as("not declared down while it answered").isEqualTo(
                "healthy: 5 stages answered, down: false");
        assertThat(steps.get(2)).startsWith("stuck:");
        assertThat(steps.get(3)).as("declared down once stuck").startsWith("down: device phi=");
        assertThat(child.exitValue()).as("output: %s", lines).isZero();
    }
}
