package io.zbmd.gpu.vulkan;

import static org.lwjgl.system.MemoryStack.stackPush;
import static org.lwjgl.vulkan.VK10.*;

import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.KernelBuildException;
import io.zbmd.gpu.memory.BlockAllocator;
import io.zbmd.gpu.memory.MemoryBlock;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.util.shaderc.Shaderc;
import org.lwjgl.vulkan.VkApplicationInfo;
import org.lwjgl.vulkan.VkBufferCreateInfo;
import org.lwjgl.vulkan.VkCommandBuffer;
import org.lwjgl.vulkan.VkCommandBufferAllocateInfo;
import org.lwjgl.vulkan.VkCommandBufferBeginInfo;
import org.lwjgl.vulkan.VkCommandPoolCreateInfo;
import org.lwjgl.vulkan.VkComputePipelineCreateInfo;
import org.lwjgl.vulkan.VkDescriptorBufferInfo;
import org.lwjgl.vulkan.VkDescriptorPoolCreateInfo;
import org.lwjgl.vulkan.VkDescriptorPoolSize;
import org.lwjgl.vulkan.VkDescriptorSetAllocateInfo;
import org.lwjgl.vulkan.VkDescriptorSetLayoutBinding;
import org.lwjgl.vulkan.VkDescriptorSetLayoutCreateInfo;
import org.lwjgl.vulkan.VkDevice;
import org.lwjgl.vulkan.VkDeviceCreateInfo;
import org.lwjgl.vulkan.VkDeviceQueueCreateInfo;
import org.lwjgl.vulkan.VkFenceCreateInfo;
import org.lwjgl.vulkan.VkInstance;
import org.lwjgl.vulkan.VkInstanceCreateInfo;
import org.lwjgl.vulkan.VkMemoryAllocateInfo;
import org.lwjgl.vulkan.VkMemoryRequirements;
import org.lwjgl.vulkan.VkPhysicalDevice;
import org.lwjgl.vulkan.VkPhysicalDeviceFeatures;
import org.lwjgl.vulkan.VkPhysicalDeviceMemoryProperties;
import org.lwjgl.vulkan.VkPhysicalDeviceProperties;
import org.lwjgl.vulkan.VkPipelineLayoutCreateInfo;
import org.lwjgl.vulkan.VkPushConstantRange;
import org.lwjgl.vulkan.VkQueue;
import org.lwjgl.vulkan.VkQueueFamilyProperties;
import org.lwjgl.vulkan.VkShaderModuleCreateInfo;
import org.lwjgl.vulkan.VkSubmitInfo;
import org.lwjgl.vulkan.VkWriteDescriptorSet;

/**
 * One Vulkan device opened for compute: an instance, the device with one compute queue, a
 * command pool, compute pipelines built from GLSL at run time (shaderc compiles it to SPIR-V;
 * cached by source), and device memory as {@link VkBlock}s for a
 * {@link io.zbmd.gpu.memory.MemoryPool}. The device actor that owns it is its only user.
 *
 * <p>Memory is host-visible and coherent, mapped once: copies are plain memory copies. That is
 * what integrated GPUs and lavapipe (Vulkan on the CPU) offer best; a discrete GPU wants
 * device-local memory and staging copies, the next step. Every dispatch waits for its fence,
 * so a device error surfaces in the call that caused it, as a {@link DeviceException} naming
 * the device; a shader that does not compile is a {@link KernelBuildException} with
 * shaderc's log. Native resources are counted ({@link #liveContexts()}, {@link #liveBuffers()}).
 */
public final class VulkanContext implements AutoCloseable {
    private static final AtomicInteger LIVE_CONTEXTS = new AtomicInteger();
    private static final AtomicInteger LIVE_BUFFERS = new AtomicInteger();
    private static final ByteBuffer NO_PUSH = ByteBuffer.allocateDirect(0);

    private final VkInstance instance;
    private final VkDevice device;
    private final VkQueue queue;
    private final long commandPool;
    private final String name;
    private final int memoryType;
    private final boolean float64;
    private final Map<String, Pipeline> pipelines = new HashMap<>();
    /** The blocks not yet freed: closing the context frees them, so none outlives its device. */
    private final Set<VkBlock> blocks = new HashSet<>();
    /** Scopes every block's mapping: once the context is closed, touching one throws instead of crashing. */
    private final Arena mappings = Arena.ofShared();
    private VkBlock params;
    private volatile boolean closed;

    /** A device buffer: a Vulkan buffer, its memory, and the memory mapped into this process. */
    public record VkBlock(long buffer, long memory, MemorySegment mapped, long bytes) implements MemoryBlock {}

    /** A compute pipeline with its layouts. */
    private record Pipeline(long shader, long setLayout, long layout, long pipeline, int buffers, int pushBytes) {}

    /**
     * A Vulkan device present on this machine.
     *
     * @param index its place in {@link #list()}
     * @param name the driver's name for it
     * @param gpu whether it is a GPU (lavapipe, which runs Vulkan on the CPU, is not)
     */
    public record Info(int index, String name, boolean gpu) {
        @Override
        public String toString() {
            return "vulkan:" + index + " " + name;
        }
    }

    /**
     * @return the Vulkan devices present; empty where LWJGL or a Vulkan loader and driver are
     *     missing
     */
    public static List<Info> list() {
        if (!bindingPresent()) {
            return List.of();
        }
        try (Instance opened = Instance.create()) {
            List<VkPhysicalDevice> found = opened.devices();
            List<Info> infos = new ArrayList<>();
            for (int i = 0; i < found.size(); i++) {
                infos.add(new Info(i, Instance.name(found.get(i)), Instance.gpu(found.get(i))));
            }
            return infos;
        } catch (LinkageError | IllegalStateException | DeviceException e) {
            // No Vulkan loader: LWJGL's VK class fails to initialise (ExceptionInInitializerError
            // around an UnsatisfiedLinkError) and then fails every later use (NoClassDefFoundError).
            return List.of();
        }
    }

    /** @return the names of the Vulkan devices present, as {@link #list()} */
    public static List<String> devices() {
        return list().stream().map(Info::name).toList();
    }

    /** @return whether LWJGL's Vulkan binding is on the class path */
    public static boolean bindingPresent() {
        try {
            Class.forName("org.lwjgl.vulkan.VK10", false, VulkanContext.class.getClassLoader());
            Class.forName("org.lwjgl.util.shaderc.Shaderc", false, VulkanContext.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /**
     * Opens a device.
     *
     * @param index its place in {@link #devices()}
     * @return the opened device
     * @throws DeviceException if it is not there (the message lists those that are) or cannot be
     *     opened
     */
    public static VulkanContext open(int index) {
        if (!bindingPresent()) {
            throw new DeviceException("Vulkan device " + index + " asked for, but LWJGL's Vulkan binding is not on the"
                    + " class path: add org.lwjgl:lwjgl-vulkan and org.lwjgl:lwjgl-shaderc");
        }
        Instance opened;
        try {
            opened = Instance.create();
        } catch (LinkageError e) {
            throw new DeviceException("Vulkan device " + index + " asked for, but this machine has no Vulkan loader"
                    + " (libvulkan.so.1); install one and a driver, such as Debian's libvulkan1 and"
                    + " mesa-vulkan-drivers", e);
        }
        try {
            List<VkPhysicalDevice> found = opened.devices();
            if (index < 0 || index >= found.size()) {
                throw new DeviceException("there is no Vulkan device " + index + "; present: " + (found.isEmpty()
                        ? "none (install a Vulkan driver, such as Debian's mesa-vulkan-drivers)"
                        : found.stream().map(Instance::name).collect(Collectors.joining("; "))));
            }
            return new VulkanContext(opened, found.get(index), index);
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    private VulkanContext(Instance opened, VkPhysicalDevice physical, int index) {
        this.instance = opened.instance;
        this.name = "vulkan:" + index + " " + Instance.name(physical);
        try (MemoryStack stack = stackPush()) {
            int family = computeFamily(physical, stack);
            VkDeviceQueueCreateInfo.Buffer queues = VkDeviceQueueCreateInfo.calloc(1, stack).sType$Default()
                    .queueFamilyIndex(family).pQueuePriorities(stack.floats(1f));
            VkPhysicalDeviceFeatures supported = VkPhysicalDeviceFeatures.malloc(stack);
            vkGetPhysicalDeviceFeatures(physical, supported);
            this.float64 = supported.shaderFloat64();
            VkDeviceCreateInfo info = VkDeviceCreateInfo.calloc(stack).sType$Default().pQueueCreateInfos(queues)
                    .pEnabledFeatures(VkPhysicalDeviceFeatures.calloc(stack).shaderFloat64(float64));
            PointerBuffer handle = stack.mallocPointer(1);
            check(vkCreateDevice(physical, info, null, handle), "create the device");
            this.device = new VkDevice(handle.get(0), physical, info);
            vkGetDeviceQueue(device, family, 0, handle);
            this.queue = new VkQueue(handle.get(0), device);
            LongBuffer pool = stack.mallocLong(1);
            check(vkCreateCommandPool(device, VkCommandPoolCreateInfo.calloc(stack).sType$Default()
                    .queueFamilyIndex(family), null, pool), "create a command pool");
            this.commandPool = pool.get(0);
            this.memoryType = hostVisibleMemory(physical, stack);
        }
        LIVE_CONTEXTS.incrementAndGet();
    }

    private int computeFamily(VkPhysicalDevice physical, MemoryStack stack) {
        IntBuffer count = stack.mallocInt(1);
        vkGetPhysicalDeviceQueueFamilyProperties(physical, count, null);
        VkQueueFamilyProperties.Buffer families = VkQueueFamilyProperties.malloc(count.get(0), stack);
        vkGetPhysicalDeviceQueueFamilyProperties(physical, count, families);
        for (int i = 0; i < families.capacity(); i++) {
            if ((families.get(i).queueFlags() & VK_QUEUE_COMPUTE_BIT) != 0) {
                return i;
            }
        }
        throw new DeviceException(name + " has no compute queue");
    }

    private int hostVisibleMemory(VkPhysicalDevice physical, MemoryStack stack) {
        VkPhysicalDeviceMemoryProperties memory = VkPhysicalDeviceMemoryProperties.malloc(stack);
        vkGetPhysicalDeviceMemoryProperties(physical, memory);
        int wanted = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
        for (int i = 0; i < memory.memoryTypeCount(); i++) {
            if ((memory.memoryTypes(i).propertyFlags() & wanted) == wanted) {
                return i;
            }
        }
        throw new DeviceException(name + " has no host-visible coherent memory");
    }

    /** @return the device's name, as {@code vulkan:N name} */
    public String name() {
        return name;
    }

    /** @return whether shaders may compute in 64-bit floats on this device (shaderFloat64) */
    public boolean float64() {
        return float64;
    }

    /** @return the device's memory, for a {@link io.zbmd.gpu.memory.MemoryPool} */
    public BlockAllocator allocator() {
        return new BlockAllocator() {
            @Override
            public MemoryBlock reserve(long bytes) {
                return allocate(bytes);
            }

            @Override
            public void free(MemoryBlock block) {
                release((VkBlock) block);
            }
        };
    }

    private synchronized void release(VkBlock block) {
        if (!blocks.remove(block)) {
            return; // freed when the context closed
        }
        vkUnmapMemory(device, block.memory());
        vkDestroyBuffer(device, block.buffer(), null);
        vkFreeMemory(device, block.memory(), null);
        LIVE_BUFFERS.decrementAndGet();
    }

    private synchronized VkBlock allocate(long bytes) {
        checkOpen();
        try (MemoryStack stack = stackPush()) {
            LongBuffer handle = stack.mallocLong(1);
            int created = vkCreateBuffer(device, VkBufferCreateInfo.calloc(stack).sType$Default().size(bytes)
                    .usage(VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT
                            | VK_BUFFER_USAGE_TRANSFER_DST_BIT)
                    .sharingMode(VK_SHARING_MODE_EXCLUSIVE), null, handle);
            if (created == VK_ERROR_OUT_OF_DEVICE_MEMORY || created == VK_ERROR_OUT_OF_HOST_MEMORY) {
                return null;
            }
            check(created, "create a buffer of " + bytes + " bytes");
            long buffer = handle.get(0);
            VkMemoryRequirements requirements = VkMemoryRequirements.malloc(stack);
            vkGetBufferMemoryRequirements(device, buffer, requirements);
            int allocated = vkAllocateMemory(device, VkMemoryAllocateInfo.calloc(stack).sType$Default()
                    .allocationSize(requirements.size()).memoryTypeIndex(memoryType), null, handle);
            if (allocated != VK_SUCCESS) {
                vkDestroyBuffer(device, buffer, null);
                if (allocated == VK_ERROR_OUT_OF_DEVICE_MEMORY || allocated == VK_ERROR_OUT_OF_HOST_MEMORY) {
                    return null;
                }
                check(allocated, "allocate " + bytes + " bytes");
            }
            long memory = handle.get(0);
            check(vkBindBufferMemory(device, buffer, memory, 0), "bind a buffer's memory");
            PointerBuffer address = stack.mallocPointer(1);
            check(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, address), "map a buffer's memory");
            LIVE_BUFFERS.incrementAndGet();
            VkBlock block = new VkBlock(buffer, memory,
                    MemorySegment.ofAddress(address.get(0)).reinterpret(bytes, mappings, null), bytes);
            blocks.add(block);
            return block;
        }
    }

    /**
     * Runs a compute shader over {@code groups} work groups and waits for it.
     *
     * @param source GLSL 450 with {@code buffers} storage buffers at bindings 0, 1, ... and
     *     push constants of {@code push}'s size
     * @param buffers the storage buffers, in binding order
     * @param push the push constants (little-endian), or an empty buffer
     * @param groups work groups along x
     */
    public void dispatch(String source, List<VkBlock> buffers, ByteBuffer push, int groups) {
        submit(source, buffers, push, groups, 1);
    }

    /**
     * Runs a compute shader over {@code groupsX × groupsY} work groups, its parameters in a
     * storage buffer at binding 0 (any number of them, where push constants hold 128 bytes),
     * and waits for it.
     *
     * @param source GLSL 450 reading {@code int} parameters from binding 0, with
     *     {@code buffers} storage buffers at bindings 1, 2, ...
     * @param params the parameters (floats as their bits)
     * @param buffers the storage buffers, in binding order from 1
     * @param groupsX work groups along x
     * @param groupsY work groups along y
     */
    public synchronized void dispatch(String source, int[] params, List<VkBlock> buffers, int groupsX,
            int groupsY) {
        checkOpen();
        long bytes = Math.max(256, (long) params.length * Integer.BYTES);
        if (this.params == null || this.params.bytes() < bytes) {
            if (this.params != null) {
                release(this.params);
                this.params = null;
            }
            this.params = allocate(bytes);
            if (this.params == null) {
                throw new DeviceException(name + " has no memory left for " + bytes + " bytes of kernel parameters");
            }
        }
        MemorySegment.copy(params, 0, this.params.mapped(), ValueLayout.JAVA_INT, 0, params.length);
        List<VkBlock> bindings = new ArrayList<>(buffers.size() + 1);
        bindings.add(this.params);
        bindings.addAll(buffers);
        submit(source, bindings, NO_PUSH, groupsX, groupsY);
    }

    /**
     * Builds the pipeline of a shader for {@link #dispatch(String, int[], List, int, int)} now,
     * so that a shader that does not compile fails here rather than at its first use.
     *
     * @param source the shader
     * @param buffers its storage buffers after the parameters
     * @throws KernelBuildException if it does not compile, with shaderc's log
     */
    public synchronized void build(String source, int buffers) {
        checkOpen();
        pipeline(source, buffers + 1, 0);
    }

    private synchronized void submit(String source, List<VkBlock> buffers, ByteBuffer push, int groupsX,
            int groupsY) {
        checkOpen();
        Pipeline pipeline = pipeline(source, buffers.size(), push.remaining());
        try (MemoryStack stack = stackPush()) {
            LongBuffer handle = stack.mallocLong(1);
            check(vkCreateDescriptorPool(device, VkDescriptorPoolCreateInfo.calloc(stack).sType$Default().maxSets(1)
                    .pPoolSizes(VkDescriptorPoolSize.calloc(1, stack).type(VK_DESCRIPTOR_TYPE_STORAGE_BUFFER)
                            .descriptorCount(buffers.size())), null, handle), "create a descriptor pool");
            long descriptorPool = handle.get(0);
            long fence = VK_NULL_HANDLE;
            PointerBuffer commands = stack.mallocPointer(1);
            try {
                check(vkAllocateDescriptorSets(device, VkDescriptorSetAllocateInfo.calloc(stack).sType$Default()
                        .descriptorPool(descriptorPool).pSetLayouts(stack.longs(pipeline.setLayout())), handle),
                        "allocate a descriptor set");
                long set = handle.get(0);
                VkWriteDescriptorSet.Buffer writes = VkWriteDescriptorSet.calloc(buffers.size(), stack);
                for (int i = 0; i < buffers.size(); i++) {
                    writes.get(i).sType$Default().dstSet(set).dstBinding(i).descriptorCount(1)
                            .descriptorType(VK_DESCRIPTOR_TYPE_STORAGE_BUFFER)
                            .pBufferInfo(VkDescriptorBufferInfo.calloc(1, stack).buffer(buffers.get(i).buffer())
                                    .offset(0).range(VK_WHOLE_SIZE));
                }
                vkUpdateDescriptorSets(device, writes, null);
                check(vkAllocateCommandBuffers(device, VkCommandBufferAllocateInfo.calloc(stack).sType$Default()
                        .commandPool(commandPool).level(VK_COMMAND_BUFFER_LEVEL_PRIMARY).commandBufferCount(1),
                        commands), "allocate a command buffer");
                VkCommandBuffer command = new VkCommandBuffer(commands.get(0), device);
                check(vkBeginCommandBuffer(command, VkCommandBufferBeginInfo.calloc(stack).sType$Default()
                        .flags(VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT)), "begin a command buffer");
                vkCmdBindPipeline(command, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.pipeline());
                vkCmdBindDescriptorSets(command, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout(), 0,
                        stack.longs(set), null);
                if (push.remaining() > 0) {
                    vkCmdPushConstants(command, pipeline.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, push);
                }
                vkCmdDispatch(command, groupsX, groupsY, 1);
                check(vkEndCommandBuffer(command), "end a command buffer");
                check(vkCreateFence(device, VkFenceCreateInfo.calloc(stack).sType$Default(), null, handle),
                        "create a fence");
                fence = handle.get(0);
                check(vkQueueSubmit(queue, VkSubmitInfo.calloc(stack).sType$Default().pCommandBuffers(commands),
                        fence), "submit a dispatch");
                check(vkWaitForFences(device, handle, true, -1L), "wait for a dispatch");
            } finally {
                if (fence != VK_NULL_HANDLE) {
                    vkDestroyFence(device, fence, null);
                }
                if (commands.get(0) != 0) {
                    vkFreeCommandBuffers(device, commandPool, commands);
                }
                vkDestroyDescriptorPool(device, descriptorPool, null);
            }
        }
    }

    private Pipeline pipeline(String source, int buffers, int pushBytes) {
        Pipeline cached = pipelines.get(source);
        if (cached != null) {
            if (cached.buffers() != buffers || cached.pushBytes() != pushBytes) {
                throw new IllegalArgumentException("this shader was built for " + cached.buffers() + " buffers and "
                        + cached.pushBytes() + " bytes of push constants, not " + buffers + " and " + pushBytes);
            }
            return cached;
        }
        ByteBuffer spirv = compile(source);
        try (MemoryStack stack = stackPush()) {
            LongBuffer handle = stack.mallocLong(1);
            check(vkCreateShaderModule(device, VkShaderModuleCreateInfo.calloc(stack).sType$Default().pCode(spirv),
                    null, handle), "create a shader module");
            long shader = handle.get(0);
            VkDescriptorSetLayoutBinding.Buffer bindings = VkDescriptorSetLayoutBinding.calloc(buffers, stack);
            for (int i = 0; i < buffers; i++) {
                bindings.get(i).binding(i).descriptorType(VK_DESCRIPTOR_TYPE_STORAGE_BUFFER).descriptorCount(1)
                        .stageFlags(VK_SHADER_STAGE_COMPUTE_BIT);
            }
            check(vkCreateDescriptorSetLayout(device, VkDescriptorSetLayoutCreateInfo.calloc(stack).sType$Default()
                    .pBindings(bindings), null, handle), "create a descriptor set layout");
            long setLayout = handle.get(0);
            VkPipelineLayoutCreateInfo layoutInfo = VkPipelineLayoutCreateInfo.calloc(stack).sType$Default()
                    .pSetLayouts(stack.longs(setLayout));
            if (pushBytes > 0) {
                layoutInfo.pPushConstantRanges(VkPushConstantRange.calloc(1, stack)
                        .stageFlags(VK_SHADER_STAGE_COMPUTE_BIT).offset(0).size(pushBytes));
            }
            check(vkCreatePipelineLayout(device, layoutInfo, null, handle), "create a pipeline layout");
            long layout = handle.get(0);
            VkComputePipelineCreateInfo.Buffer info = VkComputePipelineCreateInfo.calloc(1, stack);
            info.get(0).sType$Default().layout(layout).stage(stage -> stage.sType$Default()
                    .stage(VK_SHADER_STAGE_COMPUTE_BIT).module(shader).pName(stack.UTF8("main")));
            check(vkCreateComputePipelines(device, VK_NULL_HANDLE, info, null, handle), "create a compute pipeline");
            Pipeline built = new Pipeline(shader, setLayout, layout, handle.get(0), buffers, pushBytes);
            pipelines.put(source, built);
            return built;
        } finally {
            MemoryUtil.memFree(spirv);
        }
    }

    /** @return SPIR-V, in memory the caller frees */
    private ByteBuffer compile(String source) {
        long compiler = Shaderc.shaderc_compiler_initialize();
        long options = Shaderc.shaderc_compile_options_initialize();
        long result = 0;
        try {
            Shaderc.shaderc_compile_options_set_optimization_level(options,
                    Shaderc.shaderc_optimization_level_performance);
            result = Shaderc.shaderc_compile_into_spv(compiler, source, Shaderc.shaderc_compute_shader, "zbmd.comp",
                    "main", options);
            if (result == 0 || Shaderc.shaderc_result_get_compilation_status(result)
                    != Shaderc.shaderc_compilation_status_success) {
                String log = result == 0 ? "shaderc returned nothing" : Shaderc.shaderc_result_get_error_message(result);
                throw new KernelBuildException("Vulkan compute shader does not compile for " + name + "\ncompiler log:\n"
                        + log, log == null ? "" : log.strip());
            }
            ByteBuffer bytes = Shaderc.shaderc_result_get_bytes(result);
            ByteBuffer copy = MemoryUtil.memAlloc(bytes.remaining());
            copy.put(bytes).flip();
            return copy;
        } finally {
            if (result != 0) {
                Shaderc.shaderc_result_release(result);
            }
            Shaderc.shaderc_compile_options_release(options);
            Shaderc.shaderc_compiler_release(compiler);
        }
    }

    private void check(int result, String what) {
        if (result != VK_SUCCESS) {
            throw new DeviceException("Vulkan on " + (name == null ? "this machine" : name) + " could not " + what
                    + ": VkResult " + result);
        }
    }

    /** @return whether {@link #close} has been called */
    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("Vulkan context of " + name + " is closed");
        }
    }

    /** @return contexts open in this JVM */
    public static int liveContexts() {
        return LIVE_CONTEXTS.get();
    }

    /** @return device buffers not yet released in this JVM */
    public static int liveBuffers() {
        return LIVE_BUFFERS.get();
    }

    /** Releases the pipelines, the command pool, the device and the instance; buffers go with their pool first. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        vkDeviceWaitIdle(device);
        for (VkBlock block : List.copyOf(blocks)) {
            release(block); // buffers still open: their pool frees nothing after this
        }
        params = null;
        mappings.close();
        for (Pipeline pipeline : pipelines.values()) {
            vkDestroyPipeline(device, pipeline.pipeline(), null);
            vkDestroyPipelineLayout(device, pipeline.layout(), null);
            vkDestroyDescriptorSetLayout(device, pipeline.setLayout(), null);
            vkDestroyShaderModule(device, pipeline.shader(), null);
        }
        pipelines.clear();
        vkDestroyCommandPool(device, commandPool, null);
        vkDestroyDevice(device, null);
        vkDestroyInstance(instance, null);
        LIVE_CONTEXTS.decrementAndGet();
    }

    @Override
    public String toString() {
        return "VulkanContext[" + name + (closed ? ", closed" : "") + "]";
    }

    /** A Vulkan instance, for listing devices and opening one. */
    private record Instance(VkInstance instance) implements AutoCloseable {
        static Instance create() {
            try (MemoryStack stack = stackPush()) {
                VkApplicationInfo app = VkApplicationInfo.calloc(stack).sType$Default()
                        .pApplicationName(stack.UTF8("zbmd")).pEngineName(stack.UTF8("zbmd"))
                        .apiVersion(VK_MAKE_API_VERSION(0, 1, 1, 0));
                VkInstanceCreateInfo info = VkInstanceCreateInfo.calloc(stack).sType$Default().pApplicationInfo(app);
                PointerBuffer handle = stack.mallocPointer(1);
                int result = vkCreateInstance(info, null, handle);
                if (result != VK_SUCCESS) {
                    throw new DeviceException("Vulkan could not create an instance: VkResult " + result
                            + " (install a Vulkan driver, such as Debian's mesa-vulkan-drivers)");
                }
                return new Instance(new VkInstance(handle.get(0), info));
            }
        }

        List<VkPhysicalDevice> devices() {
            try (MemoryStack stack = stackPush()) {
                IntBuffer count = stack.mallocInt(1);
                vkEnumeratePhysicalDevices(instance, count, null);
                PointerBuffer handles = stack.mallocPointer(count.get(0));
                vkEnumeratePhysicalDevices(instance, count, handles);
                List<VkPhysicalDevice> found = new ArrayList<>();
                for (int i = 0; i < handles.capacity(); i++) {
                    found.add(new VkPhysicalDevice(handles.get(i), instance));
                }
                return found;
            }
        }

        static String name(VkPhysicalDevice device) {
            try (MemoryStack stack = stackPush()) {
                VkPhysicalDeviceProperties properties = VkPhysicalDeviceProperties.malloc(stack);
                vkGetPhysicalDeviceProperties(device, properties);
                return properties.deviceNameString();
            }
        }

        static boolean gpu(VkPhysicalDevice device) {
            try (MemoryStack stack = stackPush()) {
                VkPhysicalDeviceProperties properties = VkPhysicalDeviceProperties.malloc(stack);
                vkGetPhysicalDeviceProperties(device, properties);
                int type = properties.deviceType();
                return type == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU || type == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU
                        || type == VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU;
            }
        }

        @Override
        public void close() {
            vkDestroyInstance(instance, null);
        }
    }
}
