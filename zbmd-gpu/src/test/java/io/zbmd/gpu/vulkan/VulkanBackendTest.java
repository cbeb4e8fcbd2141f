package io.zbmd.gpu.vulkan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.Backends;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.testing.RequiredDevice;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Vulkan backend's own contract, beside the conformance suite: native resources released on
 * close, foreign memory and absent devices refused by name (lavapipe in CI, which installs it).
 */
class VulkanBackendTest {
    private static final CpuConfig CPU = CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20);

    @BeforeEach
    void needsAVulkanDevice() {
        RequiredDevice.require("Vulkan", !VulkanContext.list().isEmpty(), "lavapipe (mesa-vulkan-drivers)");
    }

    @Test
    void closingReleasesTheContextAndEveryBufferEvenWithBuffersStillOpen() {
        int contexts = VulkanContext.liveContexts();
        int buffers = VulkanContext.liveBuffers();
        Backend vulkan = Backends.open("vulkan", CPU);
        DeviceBuffer a = vulkan.allocate(6);
        DeviceBuffer c = vulkan.allocate(4);
        try (vulkan) {
            assertThat(vulkan.device().kind()).isEqualTo("vulkan");
            assertThat(vulkan.device().capabilities()).containsAnyOf("f64-sums", "f32-sums");
            vulkan.upload(new float[] {1, 2, 3, 4, 5, 6}, 0, a, 0, 6);
            vulkan.sgemm(false, true, 2, 2, 3, 1f, a, 0, 3, a, 0, 3, 0f, c, 0, 2); // A · Aᵀ
            float[] product = new float[4];
            vulkan.download(c, 0, product, 0, 4);
            assertThat(product).containsExactly(14, 32, 32, 77);
            assertThat(VulkanContext.liveContexts()).isEqualTo(contexts + 1);
            assertThat(VulkanContext.liveBuffers()).as("two tensors and the kernel parameters")
                    .isGreaterThanOrEqualTo(buffers + 3);
        }
        assertThat(VulkanContext.liveContexts()).as("contexts after close").isEqualTo(contexts);
        assertThat(VulkanContext.liveBuffers()).as("device buffers after close").isEqualTo(buffers);
        // The tensors' memory went with the device: using one is refused, releasing one is harmless.
        assertThatThrownBy(() -> vulkan.download(a, 0, new float[1], 0, 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
        a.close();
        c.close();
        assertThat(VulkanContext.liveBuffers()).isEqualTo(buffers);
    }

    @Test
    void memoryOfAnotherDeviceAndBuffersBeyondTheShadersIndicesAreRefusedByName() {
        try (Backend vulkan = Backends.open("vulkan", CPU); CpuBackend cpu = CpuBackend.create(CPU);
                DeviceBuffer host = cpu.allocate(4); DeviceBuffer onDevice = vulkan.allocate(4)) {
            assertThatThrownBy(() -> vulkan.axpy(4, 1f, host, 0, onDevice, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("axpy x")
                    .hasMessageContaining("memory of another device").hasMessageContaining(vulkan.device().name());
            assertThatThrownBy(() -> vulkan.allocate(1L << 31)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("2147483648").hasMessageContaining("split the tensor");
        }
    }

    @Test
    void aDeviceThatIsNotThereIsNamedWithThoseThatAre() {
        int present = VulkanContext.list().size();
        assertThatThrownBy(() -> Backends.open("vulkan:" + present, CPU)).isInstanceOf(DeviceException.class)
                .hasMessageContaining("no Vulkan device " + present)
                .hasMessageContaining(VulkanContext.list().getFirst().name());
        assertThatThrownBy(() -> Backends.open("vulkan:first", CPU)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vulkan:N with N a number");
    }
}
