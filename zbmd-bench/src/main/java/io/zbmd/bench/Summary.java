package io.zbmd.bench;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * A short benchmark summary for the demo: a few of the JMH benchmarks, zbmd and Pekko side
 * by side, with few and short iterations, printed as a table of ratios. Indicative only:
 * the full suite ({@code ./zbmd bench}) is what the README quotes.
 */
public final class Summary {
    private Summary() {}

    /**
     * @param args optional JMH include pattern
     * @throws Exception if JMH fails
     */
    public static void main(String[] args) throws Exception {
        String include = args.length > 0 ? args[0] : "(PingPong|ForkJoinThroughput|ThreadRing)Benchmark";
        Options options = new OptionsBuilder()
                .include("io\\.zbmd\\.bench\\.actors\\." + include)
                .param("runtime", "zbmd", "pekko")
                .forks(1)
                .warmupIterations(2)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(3)
                .measurementTime(TimeValue.seconds(1))
                .verbosity(VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        print(results);
    }

    static void print(Collection<RunResult> results) {
        System.out.println();
        System.out.println(ResultTable.markdown(results));
        System.out.println("(3 short iterations each: indicative; the full suite is ./zbmd bench)");
    }
}
