package io.zbmd.bench;

import io.zbmd.bench.ml.MlpStepBenchmark;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * A short benchmark summary for the demo: a few of the JMH benchmarks, zbmd and its peer side
 * by side (Pekko for the actor benchmarks, PyTorch through DJL for the ML training step, on
 * one thread), with few and short iterations, printed as tables of ratios. Indicative only:
 * the full suite ({@code ./zbmd bench}) is what the README quotes.
 */
public final class Summary {
    private Summary() {}

    /**
     * @param args optional JMH include pattern, matched within the actor and the ML packages
     * @throws Exception if JMH fails
     */
    public static void main(String[] args) throws Exception {
        String include = args.length > 0 ? args[0] : "(PingPong|ForkJoinThroughput|ThreadRing|MlpStep)Benchmark";
        List<RunResult> results = new ArrayList<>();
        results.addAll(run(options("io\\.zbmd\\.bench\\.actors\\." + include).param("runtime", "zbmd", "pekko", "pekko-tuned")));
        results.addAll(run(options("io\\.zbmd\\.bench\\.ml\\." + include).param("runtime", MlpStepBenchmark.runtimesHere())
                .param("threads", "1")));
        print(results);
    }

    private static ChainedOptionsBuilder options(String include) {
        return new OptionsBuilder()
                .include(include)
                .forks(1)
                .warmupIterations(2)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(3)
                .measurementTime(TimeValue.seconds(1))
                .verbosity(VerboseMode.SILENT);
    }

    /** Runs what the options select; nothing if the pattern selects nothing in that package. */
    private static Collection<RunResult> run(ChainedOptionsBuilder options) throws RunnerException {
        try {
            return new Runner(options.build()).run();
        } catch (NoBenchmarksException e) {
            return List.of();
        }
    }

    static void print(Collection<RunResult> results) {
        System.out.println();
        System.out.println(ResultTable.markdown(results));
        System.out.println("(3 short iterations each: indicative; the full suite is ./zbmd bench)");
    }
}
