package io.zbmd.gpu;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.opencl.OpenClBackend;
import io.zbmd.gpu.opencl.OpenClDevices;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovers the backends present on this machine. The CPU is always there; an OpenCL device is
 * listed when JOCL is on the class path and a driver offers the device (a GPU's, or PoCL's,
 * which runs OpenCL on the CPU). A device that cannot be opened is logged and left out.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    private Backends() {}

    /**
     * @param cpu the CPU backend's configuration; its memory budget bounds each device's too
     *     (and a device gets at most three quarters of its own memory)
     * @return the backends present, the CPU first; the caller closes them
     */
    public static List<Backend> discover(CpuConfig cpu) {
        List<Backend> found = new ArrayList<>();
        found.add(CpuBackend.create(cpu));
        for (OpenClDevices.Info info : OpenClDevices.list()) {
            try {
                found.add(OpenClBackend.open(info.index(),
                        Math.min(cpu.memoryBudgetBytes(), info.globalMemoryBytes() / 4 * 3)));
            } catch (DeviceException e) {
                LOG.warn("OpenCL device {} is present but cannot be used: {}", info, e.getMessage());
            }
        }
        return found;
    }

    /**
     * @param cpu the CPU backend's configuration
     * @return the backend to train on: the first GPU present, else the CPU (an OpenCL device
     *     that is the CPU itself, as PoCL's, is not faster than the CPU backend)
     */
    public static Backend best(CpuConfig cpu) {
        for (OpenClDevices.Info info : OpenClDevices.list()) {
            if (info.gpu()) {
                try {
                    return OpenClBackend.open(info.index(),
                            Math.min(cpu.memoryBudgetBytes(), info.globalMemoryBytes() / 4 * 3));
                } catch (DeviceException e) {
                    LOG.warn("OpenCL GPU {} is present but cannot be used, trying the next: {}", info,
                            e.getMessage());
                }
            }
        }
        return CpuBackend.create(cpu);
    }
}
