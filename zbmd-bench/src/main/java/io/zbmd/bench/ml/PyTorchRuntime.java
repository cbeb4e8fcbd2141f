package io.zbmd.bench.ml;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Starts DJL's PyTorch engine the way the benchmark needs it, before anything else touches
 * DJL: offline (libtorch comes from the {@code pytorch-native-cpu} jar on the class path,
 * nothing is downloaded and no telemetry is sent), libtorch unpacked into the build's
 * {@code target/djl-engines} (beside the benchmarks jar; {@code ~/.cache/zbmd/djl-engines}
 * when the jar lives elsewhere), and its thread pools pinned: {@code threads} intra-op
 * threads and one inter-op thread. Settings the caller made (system properties, or DJL's
 * environment variables {@code DJL_OFFLINE}, {@code ENGINE_CACHE_DIR}, {@code DJL_CACHE_DIR})
 * win over these defaults, except the thread counts, which are checked.
 *
 * <p>libtorch's thread pools are per process, so one JVM runs PyTorch at one thread count:
 * JMH forks one per parameter set. Not thread-safe; call from the thread that sets up.
 */
final class PyTorchRuntime {
    /** DJL's name of the PyTorch engine. */
    static final String ENGINE = "PyTorch";

    private static final String INTEROP_THREADS = "1";

    private PyTorchRuntime() {}

    /**
     * Configures DJL, loads libtorch and checks that it reports the thread counts asked for.
     *
     * @param threads intra-op threads, at least 1
     * @return the engine
     * @throws IllegalStateException if libtorch reports other thread counts (the engine was
     *     started before with other settings, or an inter-op setting from outside)
     */
    static Engine start(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("PyTorch intra-op threads must be at least 1, got " + threads);
        }
        defaultProperty("ai.djl.offline", "true", "DJL_OFFLINE");
        if (System.getenv("ENGINE_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null
                && System.getProperty("DJL_CACHE_DIR") == null) {
            defaultProperty("ENGINE_CACHE_DIR", engineCacheDir().toString(), "ENGINE_CACHE_DIR");
        }
        // PtEngine reads these two when it loads libtorch, the only moment the inter-op pool's
        // size can still be set (libtorch refuses once that pool has started).
        System.setProperty("ai.djl.pytorch.num_interop_threads", INTEROP_THREADS);
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        Engine engine = Engine.getEngine(ENGINE);
        if (JniUtils.getNumThreads() != threads) {
            // Loaded earlier in this JVM with another count: the intra-op count may change any time.
            JniUtils.setNumThreads(threads);
        }
        int intraOp = JniUtils.getNumThreads();
        int interOp = JniUtils.getNumInteropThreads();
        if (intraOp != threads || interOp != Integer.parseInt(INTEROP_THREADS)) {
            throw new IllegalStateException("libtorch reports " + intraOp + " intra-op and " + interOp
                    + " inter-op threads, the benchmark needs " + threads + " and " + INTEROP_THREADS
                    + ": was the PyTorch engine started before, with other settings?");
        }
        return engine;
    }

    /** @return libtorch's thread counts as it reports them, in words */
    static String threadsReport() {
        return JniUtils.getNumThreads() + " intra-op / " + JniUtils.getNumInteropThreads() + " inter-op threads";
    }

    private static void defaultProperty(String name, String value, String environmentVariable) {
        if (System.getProperty(name) == null && System.getenv(environmentVariable) == null) {
            System.setProperty(name, value);
        }
    }

    /**
     * @return {@code target/djl-engines} when this code runs from a build's {@code target}
     *     (the benchmarks jar or {@code target/classes}), else a directory in the user's cache
     */
    private static Path engineCacheDir() {
        var codeSource = PyTorchRuntime.class.getProtectionDomain().getCodeSource();
        if (codeSource != null && codeSource.getLocation() != null) {
            try {
                Path target = Path.of(codeSource.getLocation().toURI()).getParent();
                if (target != null && target.getFileName() != null && target.getFileName().toString().equals("target")
                        && Files.isWritable(target)) {
                    return target.resolve("djl-engines");
                }
            } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
                // not a file on disk: use the user's cache
            }
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        Path dir = cache.resolve("zbmd").resolve("djl-engines");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create DJL's engine cache " + dir, e);
        }
        return dir;
    }
}
