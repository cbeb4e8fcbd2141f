package io.zbmd.gpu.opencl;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;
import static org.jocl.CL.CL_TRUE;

import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.KernelBuildException;
import io.zbmd.gpu.memory.BlockAllocator;
import io.zbmd.gpu.memory.MemoryBlock;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;
import org.jocl.cl_queue_properties;

/**
 * One OpenCL device opened for work: its context, one in-order command queue, the programs
 * built for it (cached by source), and its memory as {@link ClBlock}s for a
 * {@link io.zbmd.gpu.memory.MemoryPool}. The device actor that owns it is the only user of its
 * queue, from its one thread; nothing here is synchronised beyond the resource counts.
 *
 * <p>Every OpenCL failure surfaces as a {@link DeviceException} naming the device and what
 * was asked; a program that does not build carries the compiler's log. Native resources are
 * counted ({@link #liveContexts()}, {@link #liveBuffers()}) so that tests can show that
 * closing, and crashing, release them.
 */
public final class OpenClContext implements AutoCloseable {
    /** OpenCL C 1.2; division and square root correctly rounded, as Java's. */
    private static final String BUILD_OPTIONS = "-cl-std=CL1.2 -cl-fp32-correctly-rounded-divide-sqrt";
    private static final AtomicInteger LIVE_CONTEXTS = new AtomicInteger();
    private static final AtomicInteger LIVE_BUFFERS = new AtomicInteger();

    private final OpenClDevices.Info info;
    private final cl_device_id device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final Map<String, cl_program> programs = new HashMap<>();
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private boolean closed;

    /** A device buffer: an OpenCL memory object of {@code bytes} bytes. */
    public record ClBlock(cl_mem mem, long bytes) implements MemoryBlock {}

    /**
     * Opens a device.
     *
     * @param index its place in {@link OpenClDevices#list()}
     * @return the opened device
     * @throws DeviceException if there is no such device (the message lists those present) or
     *     it cannot be opened
     */
    public static OpenClContext open(int index) {
        if (!OpenClDevices.bindingPresent()) {
            throw new DeviceException("OpenCL device " + index + " asked for, but JOCL is not on the class path: add"
                    + " the org.jocl:jocl dependency");
        }
        List<OpenClDevices.Probe.Found> found;
        try {
            found = OpenClDevices.Probe.devices();
        } catch (CLException e) {
            throw new DeviceException("OpenCL device " + index + " asked for, but OpenCL cannot be loaded ("
                    + e.getMessage() + "); install an OpenCL driver, such as Debian's pocl-opencl-icd", e);
        } catch (LinkageError e) {
            throw new DeviceException("OpenCL device " + index + " asked for, but this machine has no OpenCL library"
                    + " (libOpenCL.so.1); install an OpenCL driver, such as Debian's pocl-opencl-icd", e);
        }
        if (index < 0 || index >= found.size()) {
            throw new DeviceException("there is no OpenCL device " + index + "; present: "
                    + (found.isEmpty() ? "none (install an OpenCL driver, such as Debian's pocl-opencl-icd)"
                            : found.stream().map(f -> f.info().toString()).collect(Collectors.joining("; "))));
        }
        return new OpenClContext(found.get(index));
    }

    private OpenClContext(OpenClDevices.Probe.Found found) {
        this.info = found.info();
        this.device = found.device();
        try {
            cl_context_properties properties = new cl_context_properties();
            properties.addProperty(CL_CONTEXT_PLATFORM, found.platform());
            this.context = CL.clCreateContext(properties, 1, new cl_device_id[] {device}, null, null, null);
        } catch (CLException e) {
            throw failure("create a context", e);
        }
        try {
            this.queue = CL.clCreateCommandQueueWithProperties(context, device, new cl_queue_properties(), null);
        } catch (CLException e) {
            CL.clReleaseContext(context);
            throw failure("create a command queue", e);
        }
        LIVE_CONTEXTS.incrementAndGet();
    }

    /** @return what was opened */
    public OpenClDevices.Info info() {
        return info;
    }

    /** @return the device's memory, for a {@link io.zbmd.gpu.memory.MemoryPool} */
    public BlockAllocator allocator() {
        return new BlockAllocator() {
            @Override
            public MemoryBlock reserve(long bytes) {
                checkOpen();
                try {
                    cl_mem mem = CL.clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
                    LIVE_BUFFERS.incrementAndGet();
                    return new ClBlock(mem, bytes);
                } catch (CLException e) {
                    if (e.getStatus() == CL.CL_MEM_OBJECT_ALLOCATION_FAILURE
                            || e.getStatus() == CL.CL_OUT_OF_RESOURCES || e.getStatus() == CL.CL_INVALID_BUFFER_SIZE) {
                        return null; // the pool reports it as out of memory, with its budget
                    }
                    throw failure("allocate " + bytes + " bytes", e);
                }
            }

            @Override
            public void free(MemoryBlock block) {
                CL.clReleaseMemObject(((ClBlock) block).mem());
                LIVE_BUFFERS.decrementAndGet();
            }
        };
    }

    /** Copies {@code count} floats from the host to {@code dst} at element {@code dstOffset}; waits. */
    public void write(float[] src, int srcOffset, cl_mem dst, long dstOffset, int count) {
        transfer(true, dst, dstOffset, Pointer.to(src), srcOffset, count, Sizeof.cl_float, "floats");
    }

    /** Copies {@code count} ints from the host to {@code dst} at element {@code dstOffset}; waits. */
    public void write(int[] src, int srcOffset, cl_mem dst, long dstOffset, int count) {
        transfer(true, dst, dstOffset, Pointer.to(src), srcOffset, count, Sizeof.cl_int, "ints");
    }

    /** Copies {@code count} floats from {@code src} at element {@code srcOffset} to the host; waits. */
    public void read(cl_mem src, long srcOffset, float[] dst, int dstOffset, int count) {
        transfer(false, src, srcOffset, Pointer.to(dst), dstOffset, count, Sizeof.cl_float, "floats");
    }

    /** Copies {@code count} ints from {@code src} at element {@code srcOffset} to the host; waits. */
    public void read(cl_mem src, long srcOffset, int[] dst, int dstOffset, int count) {
        transfer(false, src, srcOffset, Pointer.to(dst), dstOffset, count, Sizeof.cl_int, "ints");
    }

    private synchronized void transfer(boolean toDevice, cl_mem device, long deviceOffset, Pointer host,
            int hostOffset, int count, int elementBytes, String what) {
        checkOpen();
        if (count == 0) {
            return;
        }
        long bytes = (long) count * elementBytes;
        Pointer at = host.withByteOffset((long) hostOffset * elementBytes);
        try {
            if (toDevice) {
                CL.clEnqueueWriteBuffer(queue, device, CL_TRUE, deviceOffset * elementBytes, bytes, at, 0, null, null);
            } else {
                CL.clEnqueueReadBuffer(queue, device, CL_TRUE, deviceOffset * elementBytes, bytes, at, 0, null, null);
            }
        } catch (CLException e) {
            throw failure((toDevice ? "write " : "read ") + count + " " + what, e);
        }
    }

    /**
     * @param source OpenCL C
     * @param name a kernel in it
     * @return the kernel, from a program built once per source on this device
     * @throws KernelBuildException if the source does not build, with the compiler's log
     */
    public synchronized cl_kernel kernel(String source, String name) {
        checkOpen();
        String key = name + '\0' + source;
        cl_kernel kernel = kernels.get(key);
        if (kernel != null) {
            return kernel;
        }
        cl_program program = programs.get(source);
        if (program == null) {
            program = build(source);
            programs.put(source, program);
        }
        try {
            kernel = CL.clCreateKernel(program, name, null);
        } catch (CLException e) {
            throw failure("find kernel '" + name + "'", e);
        }
        kernels.put(key, kernel);
        return kernel;
    }

    private cl_program build(String source) {
        cl_program program = CL.clCreateProgramWithSource(context, 1, new String[] {source}, null, null);
        try {
            CL.clBuildProgram(program, 1, new cl_device_id[] {device}, BUILD_OPTIONS, null, null);
            return program;
        } catch (CLException e) {
            String log = buildLog(program);
            CL.clReleaseProgram(program);
            throw new KernelBuildException("OpenCL program does not build on " + info + ": " + e.getMessage()
                    + "\ncompiler log:\n" + log, log);
        }
    }

    private String buildLog(cl_program program) {
        long[] size = new long[1];
        CL.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        CL.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, bytes.length, Pointer.to(bytes), null);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8).strip();
    }

    /**
     * Queues a kernel over {@code global} work items (one dimension).
     *
     * @param kernel from {@link #kernel}
     * @param global work items; 0 runs nothing
     * @param args {@link cl_mem} (null for a null buffer), {@link Integer}, {@link Long} or {@link Float}
     *     values, in order
     */
    public synchronized void run(cl_kernel kernel, long global, Object... args) {
        if (global != 0) {
            run(kernel, new long[] {global}, null, args);
        }
    }

    /**
     * Queues a kernel over a grid of work items in work groups of a given shape. The queue is in
     * order: what follows sees its results, and the next copy to the host waits for it.
     *
     * @param kernel from {@link #kernel}
     * @param global work items per dimension, multiples of {@code local}'s
     * @param local work-group shape, or null for the driver's choice
     * @param args as for {@link #run(cl_kernel, long, Object...)}
     */
    public synchronized void run(cl_kernel kernel, long[] global, long[] local, Object... args) {
        checkOpen();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case null -> CL.clSetKernelArg(kernel, i, Sizeof.cl_mem, null);
                    case cl_mem mem -> CL.clSetKernelArg(kernel, i, Sizeof.cl_mem, Pointer.to(mem));
                    case Integer value -> CL.clSetKernelArg(kernel, i, Sizeof.cl_int, Pointer.to(new int[] {value}));
                    case Long value -> CL.clSetKernelArg(kernel, i, Sizeof.cl_long, Pointer.to(new long[] {value}));
                    case Float value -> CL.clSetKernelArg(kernel, i, Sizeof.cl_float,
                            Pointer.to(new float[] {value}));
                    default -> throw new IllegalArgumentException("kernel argument " + i + " is a "
                            + args[i].getClass().getSimpleName() + "; give a buffer, an int, a long or a float");
                }
            }
            CL.clEnqueueNDRangeKernel(queue, kernel, global.length, null, global, local, 0, null, null);
        } catch (CLException e) {
            throw failure("run a kernel over " + Arrays.toString(global) + " items", e);
        }
    }

    /**
     * @param values small constants for a kernel (a view's shape and strides)
     * @return a read-only device buffer holding them; {@link #release} it after the kernel ran
     */
    public cl_mem constants(long[] values) {
        return constants(Pointer.to(values), (long) values.length * Sizeof.cl_long);
    }

    /**
     * @param values small constants for a kernel (a geometry)
     * @return a read-only device buffer holding them; {@link #release} it after the kernel ran
     */
    public cl_mem constants(int[] values) {
        return constants(Pointer.to(values), (long) values.length * Sizeof.cl_int);
    }

    private cl_mem constants(Pointer values, long bytes) {
        checkOpen();
        try {
            cl_mem mem = CL.clCreateBuffer(context, CL.CL_MEM_READ_ONLY | CL.CL_MEM_COPY_HOST_PTR, bytes, values, null);
            LIVE_BUFFERS.incrementAndGet();
            return mem;
        } catch (CLException e) {
            throw failure("upload " + bytes + " bytes of constants", e);
        }
    }

    /** @param mem a buffer from {@link #constants} or a scratch one, released once */
    public void release(cl_mem mem) {
        CL.clReleaseMemObject(mem);
        LIVE_BUFFERS.decrementAndGet();
    }

    /**
     * @param floats elements
     * @return a scratch buffer outside any pool (partial results); {@link #release} it
     */
    public cl_mem scratch(long floats) {
        checkOpen();
        try {
            cl_mem mem = CL.clCreateBuffer(context, CL_MEM_READ_WRITE, Math.max(1, floats) * Sizeof.cl_float, null,
                    null);
            LIVE_BUFFERS.incrementAndGet();
            return mem;
        } catch (CLException e) {
            throw failure("allocate " + floats + " scratch floats", e);
        }
    }

    /** Queues setting {@code count} floats from element {@code offset} to {@code value}. */
    public synchronized void fill(cl_mem mem, long offset, long count, float value) {
        checkOpen();
        if (count == 0) {
            return;
        }
        try {
            CL.clEnqueueFillBuffer(queue, mem, Pointer.to(new float[] {value}), Sizeof.cl_float,
                    offset * Sizeof.cl_float, count * Sizeof.cl_float, 0, null, null);
        } catch (CLException e) {
            throw failure("fill " + count + " floats", e);
        }
    }

    /** Queues a copy of {@code bytes} bytes between device buffers. */
    public synchronized void copyBytes(cl_mem src, long srcOffset, cl_mem dst, long dstOffset, long bytes) {
        checkOpen();
        if (bytes == 0) {
            return;
        }
        try {
            CL.clEnqueueCopyBuffer(queue, src, dst, srcOffset, dstOffset, bytes, 0, null, null);
        } catch (CLException e) {
            throw failure("copy " + bytes + " bytes", e);
        }
    }

    private DeviceException failure(String what, CLException e) {
        return new DeviceException("OpenCL on " + info + " could not " + what + ": " + e.getMessage(), e);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("OpenCL context of " + info + " is closed");
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

    /** Releases the kernels, programs, queue and context; buffers go with their pool. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        kernels.values().forEach(CL::clReleaseKernel);
        programs.values().forEach(CL::clReleaseProgram);
        kernels.clear();
        programs.clear();
        CL.clReleaseCommandQueue(queue);
        CL.clReleaseContext(context);
        LIVE_CONTEXTS.decrementAndGet();
    }

    @Override
    public String toString() {
        return "OpenClContext[" + info + (closed ? ", closed" : "") + "]";
    }
}
