package io.zbmd.gpu.cpu.internal;

/**
 * Picks the micro-kernel and its blocking. The Vector API kernel is used when the
 * {@code jdk.incubator.vector} module is in the boot layer (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}) and not switched off with
 * {@code -Dzbmd.cpu.vector=false}; otherwise the scalar kernel, with the same blocking, so
 * that both sum in the same order.
 *
 * <p>Stateless and thread-safe.
 */
public final class MicroKernels {
    /** The system property that switches the Vector API kernel off when set to {@code false}. */
    public static final String VECTOR_PROPERTY = "zbmd.cpu.vector";

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_KERNEL = "io.zbmd.gpu.cpu.internal.VectorMicroKernel";

    /** Depth of the packed blocks; see {@link #blockingFor}. */
    private static final int KC_STEPS = 512;
    /** Rows of a packed block of A, before rounding down to whole tiles. */
    private static final int MC_ROWS = 120;
    /** Columns of a packed panel of B, before rounding down to whole tiles. */
    private static final int NC_COLUMNS = 3072;

    private MicroKernels() {}

    /** @return whether {@code jdk.incubator.vector} is in the boot layer */
    public static boolean vectorApiPresent() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    /** @return the Vector API kernel if it is present and not switched off, else the scalar one */
    public static MicroKernel preferred() {
        boolean enabled = !"false".equalsIgnoreCase(System.getProperty(VECTOR_PROPERTY, "true").trim());
        return enabled && vectorApiPresent() ? vector() : scalar();
    }

    /**
     * @return the Vector API kernel
     * @throws IllegalStateException if {@code jdk.incubator.vector} is not in the boot layer
     */
    public static MicroKernel vector() {
        if (!vectorApiPresent()) {
            throw new IllegalStateException(VECTOR_MODULE + " is not in the boot layer: start the JVM with "
                    + "--add-modules " + VECTOR_MODULE);
        }
        // Reflection, so that no class here names VectorMicroKernel: loading (or verifying) a
        // class that links to the module's classes fails when the module is absent.
        try {
            return (MicroKernel) Class.forName(VECTOR_KERNEL).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + VECTOR_KERNEL, e);
        }
    }

    /** @return the plain-Java kernel, available on every JVM */
    public static MicroKernel scalar() {
        return new ScalarMicroKernel();
    }

    /**
     * The blocking, tuned on a Zen 4 (32 KiB L1d and 1 MiB L2 per core, 32 MiB L3) and sound on
     * similar cores: {@code kc = 512} (a 6-row micro-panel of A is 12 KiB, in L1; a longer
     * accumulation amortises each tile's load and store of C: 256 ran 12% slower), {@code mc}
     * about 120 rows (a 240 KiB block of A, in L2), {@code nc} about 3072 columns (a 6 MiB panel
     * of B, in L3, packed once for n up to 3072; 256, a panel that fits L2, ran 15% slower since
     * A is then packed n / 256 times). {@code kc} fixes the order of the sums, so it is the
     * same for every kernel.
     *
     * @return the blocking for {@code kernel}'s tile
     */
    public static Blocking blockingFor(MicroKernel kernel) {
        int mr = kernel.mr();
        int nr = kernel.nr();
        int mc = Math.max(1, MC_ROWS / mr) * mr;
        int nc = Math.max(1, NC_COLUMNS / nr) * nr;
        return new Blocking(mr, nr, mc, KC_STEPS, nc);
    }
}
