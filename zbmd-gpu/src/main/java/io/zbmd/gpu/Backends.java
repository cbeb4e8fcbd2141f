package io.zbmd.gpu;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.opencl.OpenClBackend;
import io.zbmd.gpu.opencl.OpenClDevices;
import io.zbmd.gpu.vulkan.VulkanBackend;
import io.zbmd.gpu.vulkan.VulkanContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovers the backends present on this machine. The CPU is always there; an OpenCL device is
 * listed when JOCL is on the class path and a driver offers the device (a GPU's, or PoCL's,
 * which runs OpenCL on the CPU); a Vulkan device when LWJGL's Vulkan and shaderc bindings are on
 * the class path and a driver offers it (a GPU's, or Mesa's lavapipe on the CPU). A device that
 * cannot be opened is logged and left out.
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
        for (VulkanContext.Info info : VulkanContext.list()) {
            try {
                found.add(VulkanBackend.open(info.index(), cpu.memoryBudgetBytes()));
            } catch (DeviceException e) {
                LOG.warn("Vulkan device {} is present but cannot be used: {}", info, e.getMessage());
            }
        }
        return found;
    }

    /**
     * @param cpu the CPU backend's configuration
     * @return the backend to train on: the first GPU present, through OpenCL, else through
     *     Vulkan, else the CPU (a device that is the CPU itself, as PoCL's or lavapipe's, is not
     *     faster than the CPU backend)
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
        for (VulkanContext.Info info : VulkanContext.list()) {
            if (info.gpu()) {
                try {
                    return VulkanBackend.open(info.index(), cpu.memoryBudgetBytes());
                } catch (DeviceException e) {
                    LOG.warn("Vulkan GPU {} is present but cannot be used, trying the next: {}", info,
                            e.getMessage());
                }
            }
        }
        return CpuBackend.create(cpu);
    }

    /**
     * Opens the backend a user names: {@code cpu}, {@code opencl} (device 0) or
     * {@code opencl:N}, {@code vulkan} or {@code vulkan:N}, or {@code best} ({@link #best}).
     *
     * @param device the name
     * @param cpu the CPU backend's configuration; its memory budget bounds a device's too
     * @return the backend; the caller closes it
     * @throws IllegalArgumentException if the name is none of those
     * @throws DeviceException if the device is not there (the message lists those that are) or
     *     cannot be opened
     */
    public static Backend open(String device, CpuConfig cpu) {
        String name = device.strip().toLowerCase(Locale.ROOT);
        if (name.equals("cpu")) {
            return CpuBackend.create(cpu);
        }
        if (name.equals("best")) {
            return best(cpu);
        }
        if (name.equals("vulkan") || name.startsWith("vulkan:")) {
            return VulkanBackend.open(index(device, "vulkan"), cpu.memoryBudgetBytes());
        }
        if (name.equals("opencl") || name.startsWith("opencl:")) {
            int index = index(device, "opencl");
            long memory = OpenClDevices.list().stream().filter(info -> info.index() == index).findFirst()
                    .map(info -> info.globalMemoryBytes() / 4 * 3).orElse(cpu.memoryBudgetBytes());
            return OpenClBackend.open(index, Math.min(cpu.memoryBudgetBytes(), memory));
        }
        throw new IllegalArgumentException("'" + device
                + "' is not a device: give cpu, opencl, opencl:N, vulkan, vulkan:N or best");
    }

    /** @return N of {@code kind:N}, 0 for {@code kind} alone */
    private static int index(String device, String kind) {
        String name = device.strip().toLowerCase(Locale.ROOT);
        try {
            return name.equals(kind) ? 0 : Integer.parseInt(name.substring(kind.length() + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + device + "' names no device: give " + kind
                    + ":N with N a number");
        }
    }
}
