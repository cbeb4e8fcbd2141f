package io.zbmd.bench;

/**
 * The benchmarks jar's entry point: JMH's own command line ({@code -l} lists the
 * benchmarks, a regular expression selects some, {@code -h} shows the options).
 */
public final class BenchMain {
    private BenchMain() {}

    /**
     * @param args JMH arguments
     * @throws Exception if JMH fails
     */
    public static void main(String[] args) throws Exception {
        org.openjdk.jmh.Main.main(args);
    }
}
