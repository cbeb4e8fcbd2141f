package io.zbmd.gpu.vulkan;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.KernelBuildException;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.memory.MemoryPool;
import io.zbmd.gpu.testing.RequiredDevice;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Vulkan device opened for compute, on whatever Vulkan the machine has (Mesa's lavapipe on
 * the CPU in CI, which installs it; a test that finds none there fails rather than skips).
 */
class VulkanContextTest {
    private static final String ADD = """
            #version 450
            layout(local_size_x = 64) in;
            layout(std430, binding = 0) readonly buffer A { float a[]; };
            layout(std430, binding = 1) readonly buffer B { float b[]; };
            layout(std430, binding = 2) writeonly buffer C { float c[]; };
            layout(push_constant) uniform Push { uint n; };
            void main() {
                uint i = gl_GlobalInvocationID.x;
                if (i < n) {
                    c[i] = a[i] + b[i];
                }
            }
            """;

    @BeforeEach
    void needsAVulkanDevice() {
        RequiredDevice.require("Vulkan", !VulkanContext.devices().isEmpty(), "lavapipe (mesa-vulkan-drivers)");
    }

    @Test
    void vectorAdditionOnTheDeviceMatchesJavaAndReleasesEverything() {
        int contexts = VulkanContext.liveContexts();
        int buffers = VulkanContext.liveBuffers();
        SplittableRandom random = new SplittableRandom(3);
        int n = 1000;
        float[] a = new float[n];
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextDouble(-10, 10);
            b[i] = (float) random.nextDouble(-10, 10);
        }
        try (VulkanContext device = VulkanContext.open(0);
                MemoryPool pool = new MemoryPool("vulkan:0", 1 << 20, false, device.allocator())) {
            assertThat(VulkanContext.liveContexts()).isEqualTo(contexts + 1);
            float[] c = new float[n];
            try (DeviceBuffer da = pool.allocateFloats(n); DeviceBuffer db = pool.allocateFloats(n);
                    DeviceBuffer dc = pool.allocateFloats(n)) {
                MemorySegment.copy(a, 0, block(da).mapped(), JAVA_FLOAT, 0, n);
                MemorySegment.copy(b, 0, block(db).mapped(), JAVA_FLOAT, 0, n);
                ByteBuffer push = ByteBuffer.allocateDirect(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, n);
                device.dispatch(ADD, List.of(block(da), block(db), block(dc)), push, (n + 63) / 64);
                device.dispatch(ADD, List.of(block(da), block(db), block(dc)), push, (n + 63) / 64); // cached
                MemorySegment.copy(block(dc).mapped(), JAVA_FLOAT, 0, c, 0, n);
            }
            for (int i = 0; i < n; i++) {
                assertThat(c[i]).as("element %d", i).isEqualTo(a[i] + b[i]);
            }
        }
        assertThat(VulkanContext.liveContexts()).as("contexts after close").isEqualTo(contexts);
        assertThat(VulkanContext.liveBuffers()).as("device buffers after close").isEqualTo(buffers);
    }

    @Test
    void aShaderThatDoesNotCompileCarriesTheCompilerLog() {
        try (VulkanContext device = VulkanContext.open(0);
                MemoryPool pool = new MemoryPool("vulkan:0", 1 << 20, false, device.allocator());
                DeviceBuffer x = pool.allocateFloats(4)) {
            String broken = "#version 450\nlayout(local_size_x = 1) in;\n"
                    + "layout(std430, binding = 0) buffer X { float x[]; };\nvoid main() { x[0] = y; }\n";
            assertThatThrownBy(() -> device.dispatch(broken, List.of(block(x)), ByteBuffer.allocateDirect(0), 1))
                    .isInstanceOfSatisfying(KernelBuildException.class, e -> assertThat(e.log()).contains("y"))
                    .hasMessageContaining("does not compile")
                    .hasMessageContaining("compiler log");
        }
    }

    @Test
    void aDeviceThatIsNotThereIsNamedWithThoseThatAre() {
        int present = VulkanContext.devices().size();
        assertThatThrownBy(() -> VulkanContext.open(present)).isInstanceOf(DeviceException.class)
                .hasMessageContaining("no Vulkan device " + present)
                .hasMessageContaining(VulkanContext.devices().getFirst());
    }

    private static VulkanContext.VkBlock block(DeviceBuffer buffer) {
        return (VulkanContext.VkBlock) buffer.block();
    }
}
