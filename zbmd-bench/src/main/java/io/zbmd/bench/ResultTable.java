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
 * Turns a JMH run into the Markdown table the README quotes: one row per benchmark (and per
 * secondary result), one column per runtime, and zbmd's ratio to the peer, computed from
 * the same run. Scores are medians of the measured iterations (JMH's mean is in
 * the raw output), so that one disturbed iteration on a shared machine does not decide.
 */
final class ResultTable {
    private static final List<String> RUNTIMES = List.of("zbmd", "zbmd-fj", "pekko");

    private ResultTable() {}

    private record Cell(double median, String unit) {}

    static String markdown(Collection<RunResult> results) {
        Map<String, Map<String, Cell>> rows = new LinkedHashMap<>();
        for (RunResult run : results) {
            String runtime = run.getParams().getParam("runtime");
            if (runtime == null) {
                continue;
            }
            String benchmark = run.getParams().getBenchmark().replaceAll(".*\\.(\\w+)Benchmark\\.(\\w+)$", "$1");
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
        List<String> lines = new ArrayList<>();
        lines.add("| benchmark | unit | zbmd | zbmd (fork-join dispatcher) | Pekko | zbmd vs Pekko |");
        lines.add("|---|---|---:|---:|---:|---|");
        rows.forEach((name, cells) -> {
            Cell any = cells.values().iterator().next();
            StringBuilder line = new StringBuilder("| " + name + " | " + unit(any.unit) + " |");
            for (String runtime : RUNTIMES) {
                Cell cell = cells.get(runtime);
                line.append(' ').append(cell == null ? "–" : format(cell.median)).append(" |");
            }
            Cell zbmd = cells.get("zbmd");
            Cell pekko = cells.get("pekko");
            line.append(' ').append(zbmd == null || pekko == null ? "–" : ratio(zbmd, pekko)).append(" |");
            lines.add(line.toString());
        });
        return String.join(System.lineSeparator(), lines);
    }

    private static double median(Result<?> result) {
        Statistics statistics = result.getStatistics();
        return statistics.getN() > 0 ? statistics.getPercentile(50) : result.getScore();
    }

    private static String ratio(Cell zbmd, Cell pekko) {
        boolean higherIsBetter = zbmd.unit.startsWith("ops/");
        double factor = higherIsBetter ? zbmd.median / pekko.median : pekko.median / zbmd.median;
        return String.format(Locale.ROOT, "%.1f× %s", factor >= 1 ? factor : 1 / factor,
                factor >= 1 ? "better" : "worse");
    }

    private static String unit(String jmhUnit) {
        return switch (jmhUnit) {
            case "ops/s" -> "messages/s";
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
