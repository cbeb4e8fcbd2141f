package io.zbmd.gpu.memory;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * 64-byte aligned native memory from the C library ({@code aligned_alloc} and {@code free}
 * through the FFM API). A {@link java.lang.foreign.Arena} per buffer would do, but closing a
 * shared arena is a handshake with every thread, far too slow for the thousands of
 * short-lived buffers a training run makes; one arena for all could not free anything.
 *
 * <p>Needs {@code --enable-native-access=ALL-UNNAMED} to run without a warning.
 */
final class NativeAllocator {
    static final long ALIGNMENT = 64;

    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        ALIGNED_ALLOC = linker.downcallHandle(libc.find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(libc.find("free").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    private NativeAllocator() {}

    /**
     * @param bytes a positive multiple of {@link #ALIGNMENT}
     * @return a segment of exactly that size, or null if the C library has no memory
     */
    static MemorySegment allocate(long bytes) {
        MemorySegment address;
        try {
            address = (MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGNMENT, bytes);
        } catch (Throwable e) {
            throw new IllegalStateException("aligned_alloc failed", e);
        }
        return address.equals(MemorySegment.NULL) ? null : address.reinterpret(bytes);
    }

    static void free(MemorySegment segment) {
        try {
            FREE.invokeExact(segment);
        } catch (Throwable e) {
            throw new IllegalStateException("free failed", e);
        }
    }
}
