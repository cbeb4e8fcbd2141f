package io.zbmd.gpu;

import java.util.List;

/**
 * What a backend runs on: a name, how much memory it may use, and what it can do.
 *
 * @param kind "cpu", "opencl", "cuda", "vulkan"
 * @param name human-readable, such as "AMD EPYC (2 threads, Vector API 512-bit, GEMM: OpenBLAS)"
 * @param memoryBudgetBytes the budget of the backend's memory pool
 * @param threads compute threads one kernel may use
 * @param capabilities what it supports, such as "vector-api-512", "gemm:openblas", "bf16-storage"
 */
public record Device(String kind, String name, long memoryBudgetBytes, int threads, List<String> capabilities) {
    public Device {
        capabilities = List.copyOf(capabilities);
    }

    /**
     * @param capability a capability name
     * @return whether this device has it
     */
    public boolean has(String capability) {
        return capabilities.contains(capability);
    }
}
