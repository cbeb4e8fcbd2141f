package io.zbmd.gpu.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads a device backend's kernel source, shipped in the zbmd-gpu jar beside its class. */
public final class KernelSources {
    private KernelSources() {}

    /**
     * @param owner the backend class the source sits beside
     * @param name the resource's name, such as {@code kernels.cl}
     * @return its text
     * @throws IllegalStateException if the jar lacks it
     */
    public static String read(Class<?> owner, String name) {
        try (InputStream in = owner.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the zbmd-gpu jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name + " from the zbmd-gpu jar", e);
        }
    }
}
