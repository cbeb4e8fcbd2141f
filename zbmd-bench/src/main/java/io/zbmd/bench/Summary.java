package io.zbmd.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
        Map<String, Map<String, RunResult>> byBenchmark = new LinkedHashMap<>();
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark().replaceAll(".*\\.(\\w+)Benchmark\\.\\w+$", "$1");
            byBenchmark.computeIfAbsent(name, k -> new LinkedHashMap<>()).put(result.getParams().getParam("runtime"), result);
        }
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-22s %18s %18s  %s", "benchmark", "zbmd", "pekko", "zbmd vs pekko"));
        byBenchmark.forEach((name, runs) -> {
            RunResult zbmd = runs.get("zbmd");
            RunResult pekko = runs.get("pekko");
            if (zbmd == null || pekko == null) {
                return;
            }
            double z = zbmd.getPrimaryResult().getScore();
            double p = pekko.getPrimaryResult().getScore();
            String unit = zbmd.getPrimaryResult().getScoreUnit();
            boolean higherIsBetter = unit.startsWith("ops/");
            double factor = higherIsBetter ? z / p : p / z;
            lines.add(String.format(Locale.ROOT, "%-22s %18s %18s  %.2fx %s", name, format(z, unit), format(p, unit),
                    factor, factor >= 1 ? "faster" : "slower"));
        });
        System.out.println();
        lines.forEach(System.out::println);
        System.out.println("(median of 3 short iterations each; the full suite: ./zbmd bench)");
    }

    private static String format(double score, String unit) {
        if (unit.startsWith("ops/")) {
            return String.format(Locale.ROOT, "%,.0f msg/s", score * TimeUnit.SECONDS.toSeconds(1));
        }
        return String.format(Locale.ROOT, "%,.1f %s", score, unit);
    }
}
