package io.zbmd.bench;

/**
 * A competing busy process for {@code --beside-busy-process}: one thread that computes
 * forever, as another job on a shared machine would. Run in its own JVM, so that it competes
 * for the processors only, not for the benchmark's heap or safepoints.
 */
public final class BusyLoop {
    private static volatile long sink;

    private BusyLoop() {}

    /**
     * Spins until killed.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        long x = 1;
        for (long i = 0; ; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            if ((i & 0xFFFFFF) == 0) {
                sink = x;
            }
        }
    }

    /** @return the busy process, started with this JVM's java and class path */
    static Process start() throws java.io.IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), BusyLoop.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }
}
