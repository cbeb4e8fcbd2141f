package io.zbmd.gpu.opencl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.KernelBuildException;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.memory.DeviceOutOfMemoryException;
import io.zbmd.gpu.memory.MemoryPool;
import io.zbmd.gpu.testing.RequiredDevice;
import java.util.SplittableRandom;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An OpenCL device opened for work, on whatever OpenCL the machine has (PoCL on the CPU in CI,
 * which installs it; a test that finds none there fails rather than skips).
 */
class OpenClContextTest {
    private static final String ADD = """
            __kernel void add(__global const float* a, __global const float* b, __global float* c, const int n) {
                int i = get_global_id(0);
                if (i < n) {
                    c[i] = a[i] + b[i];
                }
            }
            """;

    @BeforeEach
    void needsAnOpenClDevice() {
        RequiredDevice.require("OpenCL", !OpenClDevices.list().isEmpty(), "PoCL (pocl-opencl-icd)");
    }

    @Test
    void vectorAdditionOnTheDeviceMatchesJavaAndReleasesEverything() {
        int contexts = OpenClContext.liveContexts();
        int buffers = OpenClContext.liveBuffers();
        SplittableRandom random = new SplittableRandom(3);
        int n = 1000;
        float[] a = new float[n];
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextDouble(-10, 10);
            b[i] = (float) random.nextDouble(-10, 10);
        }
        try (OpenClContext device = OpenClContext.open(0);
                MemoryPool pool = new MemoryPool("opencl:0", 1 << 20, false, device.allocator())) {
            assertThat(OpenClContext.liveContexts()).isEqualTo(contexts + 1);
            float[] c = new float[n];
            try (DeviceBuffer da = pool.allocateFloats(n); DeviceBuffer db = pool.allocateFloats(n);
                    DeviceBuffer dc = pool.allocateFloats(n)) {
                device.write(a, 0, mem(da), 0, n);
                device.write(b, 0, mem(db), 0, n);
                cl_kernel add = device.kernel(ADD, "add");
                assertThat(device.kernel(ADD, "add")).as("built once, cached").isSameAs(add);
                device.run(add, n, mem(da), mem(db), mem(dc), n);
                device.read(mem(dc), 0, c, 0, n);
            }
            for (int i = 0; i < n; i++) {
                assertThat(c[i]).as("element %d", i).isEqualTo(a[i] + b[i]);
            }
            assertThatThrownBy(() -> pool.allocate(2 << 20)).isInstanceOf(DeviceOutOfMemoryException.class)
                    .hasMessageContaining("opencl:0");
        }
        assertThat(OpenClContext.liveContexts()).as("contexts after close").isEqualTo(contexts);
        assertThat(OpenClContext.liveBuffers()).as("device buffers after close").isEqualTo(buffers);
    }

    @Test
    void transfersRoundTripExactlyAtOffsets() {
        float[] values = {Float.NaN, -0f, Float.MIN_VALUE, 1.5f, Float.MAX_VALUE, -3f};
        int[] ints = {Integer.MIN_VALUE, -1, 0, 7, Integer.MAX_VALUE};
        try (OpenClContext device = OpenClContext.open(0);
                MemoryPool pool = new MemoryPool("opencl:0", 1 << 20, false, device.allocator());
                DeviceBuffer buffer = pool.allocateFloats(16)) {
            device.write(values, 1, mem(buffer), 3, 5);
            float[] back = new float[7];
            device.read(mem(buffer), 3, back, 2, 5);
            for (int i = 0; i < 5; i++) {
                assertThat(Float.floatToRawIntBits(back[2 + i])).isEqualTo(Float.floatToRawIntBits(values[1 + i]));
            }
            device.write(ints, 0, mem(buffer), 8, ints.length);
            int[] intsBack = new int[ints.length];
            device.read(mem(buffer), 8, intsBack, 0, ints.length);
            assertThat(intsBack).isEqualTo(ints);
        }
    }

    @Test
    void aProgramThatDoesNotBuildCarriesTheCompilerLog() {
        try (OpenClContext device = OpenClContext.open(0)) {
            assertThatThrownBy(() -> device.kernel("__kernel void broken(__global float* x) { x[0] = y; }", "broken"))
                    .isInstanceOfSatisfying(KernelBuildException.class, e -> assertThat(e.log()).contains("y"))
                    .isInstanceOf(DeviceException.class)
                    .hasMessageContaining("does not build")
                    .hasMessageContaining("compiler log");
        }
    }

    @Test
    void aDeviceThatIsNotThereIsNamedWithThoseThatAre() {
        int present = OpenClDevices.list().size();
        assertThatThrownBy(() -> OpenClContext.open(present)).isInstanceOf(DeviceException.class)
                .hasMessageContaining("no OpenCL device " + present)
                .hasMessageContaining("opencl:0 ");
    }

    private static cl_mem mem(DeviceBuffer buffer) {
        return ((OpenClContext.ClBlock) buffer.block()).mem();
    }
}
