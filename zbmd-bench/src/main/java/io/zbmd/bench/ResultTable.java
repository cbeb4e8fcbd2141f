package io.zbmd.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.Statistics;

/**
 * Turns a JMH run into the Markdown tables the README quotes: one table per peer (the actor
 * and supervision benchmarks against Pekko, the ML training step against PyTorch), one row
 * per benchmark and parameter set (and per secondary result), one column per runtime, and
 * zbmd's ratio to the peer, computed from the same run. Scores are medians of the measured
 * iterations (JMH's mean is in the raw output), so that one disturbed iteration on a shared
 * machine does not decide.
 */
final class ResultTable {
    /**
     * The benchmarks of some packages, compared with one peer.
     *
     * @param packagePrefix benchmarks whose class name starts with it ("" for any)
     * @param throughputUnit what one operation per second is, in words
     * @param runtimes the values of the {@code runtime} parameter, in column order
     * @param headers the columns' titles, one per runtime
     * @param peer the runtime zbmd's ratio is taken to
     */
    private record Comparison(String packagePrefix, String throughputUnit, List<String> runtimes, List<String> headers,
            String peer) {
        boolean covers(String benchmark) {
            return benchmark.startsWith(packagePrefix);
        }

        String peerHeader() {
            return headers.get(runtimes.indexOf(peer));
        }
    }

    /** The first one that covers a benchmark takes it. */
    private static final List<Comparison> COMPARISONS = List.of(
            new Comparison("io.zbmd.bench.ml.", "samples/s", List.of("zbmd", "pytorch"),
                    List.of("zbmd", "PyTorch (DJL)"), "pytorch"),
            new Comparison("", "messages/s", List.of("zbmd", "zbmd-fj", "pekko"),
                    List.of("zbmd", "zbmd (fork-join dispatcher)", "Pekko"), "pekko"));

    private ResultTable() {}

    private record Cell(double median, String unit) {}

    static String markdown(Collection<RunResult> results) {
        Map<Comparison, Map<String, Map<String, Cell>>> tables = new LinkedHashMap<>(); // in order of appearance
        for (RunResult run : results) {
            String runtime = run.getParams().getParam("runtime");
            if (runtime == null) {
                continue;
            }
            String className = run.getParams().getBenchmark();
            Comparison comparison = COMPARISONS.stream().filter(c -> c.covers(className)).findFirst().orElseThrow();
            Map<String, Map<String, Cell>> rows = tables.computeIfAbsent(comparison, c -> new LinkedHashMap<>());
            String benchmark = className.replaceAll(".*\\.(\\w+)Benchmark\\.(\\w+)$", "$1") + otherParams(run);
            String mode = run.getParams().getMode().shortLabel();
            String key = benchmark + (mode.equals("sample") ? " (p50)" : "");
            Result<?> primary = run.getPrimaryResult();
            rows.computeIfAbsent(key, k -> new LinkedHashMap<>())
                    .put(runtime, new Cell(median(primary), primary.getScoreUnit()));
            for (Map.Entry<String, Result> secondary : run.getSecondaryResults().entrySet()) {
                if (secondary.getKey().matches("p\\d.*")) {
                    continue; // sample-mode percentiles: the p50 is the row's score
                }
                rows.computeIfAbsent(benchmark + " " + secondary.getKey(), k -> new LinkedHashMap<>())
                        .put(runtime, new Cell(secondary.getValue().getScore(), "bytes"));
            }
        }
        if (tables.isEmpty()) {
            tables.put(COMPARISONS.getLast(), Map.of());
        }
        List<String> parts = new ArrayList<>();
        tables.forEach((comparison, rows) -> parts.add(table(comparison, rows)));
        return String.join(System.lineSeparator() + System.lineSeparator(), parts);
    }

    private static String table(Comparison comparison, Map<String, Map<String, Cell>> rows) {
        List<String> lines = new ArrayList<>();
        lines.add("| benchmark | unit | " + String.join(" | ", comparison.headers()) + " | zbmd vs "
                + comparison.peerHeader() + " |");
        lines.add("|---|---|" + "---:|".repeat(comparison.runtimes().size()) + "---|");
        rows.forEach((name, cells) -> {
            Cell any = cells.values().iterator().next();
            StringBuilder line = new StringBuilder("| " + name + " | " + unit(any.unit, comparison) + " |");
            for (String runtime : comparison.runtimes()) {
                Cell cell = cells.get(runtime);
                line.append(' ').append(cell == null ? "–" : format(cell.median)).append(" |");
            }
            Cell zbmd = cells.get("zbmd");
            Cell peer = cells.get(comparison.peer());
            line.append(' ').append(zbmd == null || peer == null ? "–" : ratio(zbmd, peer)).append(" |");
            lines.add(line.toString());
        });
        return String.join(System.lineSeparator(), lines);
    }

    /** Parameters other than the runtime, e.g. {@code " (threads=2)"}; empty if none. */
    private static String otherParams(RunResult run) {
        List<String> params = new ArrayList<>();
        for (String name : run.getParams().getParamsKeys()) {
            if (!name.equals("runtime")) {
                params.add(name + "=" + run.getParams().getParam(name));
            }
        }
        return params.isEmpty() ? "" : " (" + String.join(", ", params) + ")";
    }

    private static double median(Result<?> result) {
        Statistics statistics = result.getStatistics();
        return statistics.getN() > 0 ? statistics.getPercentile(50) : result.getScore();
    }

    private static String ratio(Cell zbmd, Cell peer) {
        boolean higherIsBetter = zbmd.unit.startsWith("ops/");
        double factor = higherIsBetter ? zbmd.median / peer.median : peer.median / zbmd.median;
        return String.format(Locale.ROOT, "%.1f× %s", factor >= 1 ? factor : 1 / factor,
                factor >= 1 ? "better" : "worse");
    }

    private static String unit(String jmhUnit, Comparison comparison) {
        return switch (jmhUnit) {
            case "ops/s" -> comparison.throughputUnit();
            case "ns/op", "us/op", "ms/op" -> jmhUnit.replace("/op", "").replace("us", "µs");
            default -> jmhUnit;
        };
    }

    private static String format(double value) {
        if (value >= 100_000) {
            return String.format(Locale.ROOT, "%,.0f", value).replace(',', '\u2009');
        }
        return value >= 100 ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.1f", value);
    }
}
