/**
 * zbmd's compute backends: the sealed {@link io.zbmd.gpu.Backend} and its permitted
 * implementations, each in a package of its own, with device memory pools and discovery.
 *
 * <p>A module descriptor, because a sealed interface may permit classes of other packages only
 * within one named module. On the class path (as most users run it) the same classes load
 * unchanged: the JVM checks a sealed hierarchy by module, and the unnamed module is one.
 */
module io.zbmd.gpu {
    requires org.slf4j;
    requires static jdk.incubator.vector;
    // Optional: only the OpenCL package uses it, and only when a user adds it.
    requires static jocl;
    requires static org.lwjgl;
    requires static org.lwjgl.vulkan;
    requires static org.lwjgl.shaderc;

    exports io.zbmd.gpu;
    exports io.zbmd.gpu.cpu;
    exports io.zbmd.gpu.memory;
    exports io.zbmd.gpu.opencl;
    exports io.zbmd.gpu.vulkan;
}
