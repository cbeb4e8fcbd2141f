package io.zbmd.bench;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * The benchmarks jar's entry point: JMH's own command line ({@code -l} lists the
 * benchmarks, a regular expression selects some, {@code -h} shows the options), followed by
 * a Markdown table of the run with zbmd's ratio to its peer.
 */
public final class BenchMain {
    private BenchMain() {}

    /**
     * @param args JMH arguments
     * @throws Exception if JMH fails
     */
    public static void main(String[] args) throws Exception {
        CommandLineOptions options = new CommandLineOptions(args);
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args);
            return;
        }
        Collection<RunResult> results = new Runner(options).run();
        System.out.println();
        System.out.println(ResultTable.markdown(results));
    }
}
