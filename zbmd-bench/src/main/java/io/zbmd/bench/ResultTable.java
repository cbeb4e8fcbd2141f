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
 * per benchmark and parameter set (and per secondary result), one column per runtime that
 * ran, and zbmd's ratio to the better of its peers' configurations, computed from the same
 * run. A cell is the median of every measured iteration of every fork, with the lowest and
 * highest beside it (JMH's mean and error are in the raw output), so that one disturbed
 * iteration on a shared machine neither decides nor hides.
 */
final class ResultTable {
    /**
     * The benchmarks of some packages, compared with one peer.
     *
     * @param packagePrefix benchmarks whose class name starts with it ("" for any)
     * @param throughputUnit what one operation per second is, in words
     * @param runtimes the values of the {@code runtime} parameter, in column order
     * @param headers the columns' titles, one per runtime
     * @param peers the runtimes zbmd's ratio may be taken to: the better one in each row
     * @param peerName the ratio column's peer, in words
     */
    private record Comparison(String packagePrefix, String throughputUnit, List<String> runtimes, List<String> headers,
            List<String> peers, String peerName) {
        boolean covers(String benchmark) {
            return benchmark.startsWith(packagePrefix);
        }

        String header(String runtime) {
            return headers.get(runtimes.indexOf(runtime));
        }
    }

    /** The first one that covers a benchmark takes it. */
    private static final List<Comparison> COMPARISONS = List.of(
            new Comparison("io.zbmd.bench.ml.Gpt", "tokens/s", List.of("zbmd", "torch-python", "torch-python-fused"),
                    List.of("zbmd", "PyTorch 2.13 eager (Python, AdamW)", "PyTorch 2.13 eager (Python, fused AdamW)"),
                    List.of("torch-python", "torch-python-fused"), "the better PyTorch"),
            new Comparison("io.zbmd.bench.ml.", "samples/s", List.of("zbmd", "pytorch", "torch-python", "torch-python-fused"),
                    List.of("zbmd", "PyTorch (libtorch via DJL)", "PyTorch (Python, Adam)", "PyTorch (Python, fused Adam)"),
                    List.of("pytorch", "torch-python", "torch-python-fused"), "the better PyTorch"),
            new Comparison("", "messages/s", List.of("zbmd", "zbmd-fj", "pekko", "pekko-tuned"),
                    List.of("zbmd", "zbmd (fork-join dispatcher)", "Pekko (defaults)", "Pekko (tuned)"),
                    List.of("pekko", "pekko-tuned"), "the better Pekko"));

    private ResultTable() {}

    private record Cell(double median, double min, double max, String unit) {
        static Cell of(Result<?> result, String unit) {
            Statistics statistics = result.getStatistics();
            if (statistics.getN() == 0) {
                return new Cell(result.getScore(), result.getScore(), result.getScore(), unit);
            }
            return new Cell(statistics.getPercentile(50), statistics.getMin(), statistics.getMax(), unit);
        }
    }

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
            boolean counters = !run.getSecondaryResults().isEmpty() && mode.equals("ss");
            if (!counters) {
                // A single-shot benchmark with counters reports them; its time is not the point.
                String key = benchmark + (mode.equals("sample") ? " (p50)" : "");
                Result<?> primary = run.getPrimaryResult();
                rows.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(runtime, Cell.of(primary, primary.getScoreUnit()));
            }
            for (Map.Entry<String, Result> secondary : run.getSecondaryResults().entrySet()) {
                if (secondary.getKey().matches("p\\d.*")) {
                    continue; // sample-mode percentiles: the p50 is the row's score
                }
                rows.computeIfAbsent(benchmark + " " + secondary.getKey(), k -> new LinkedHashMap<>())
                        .put(runtime, Cell.of(secondary.getValue(), counterUnit(secondary.getKey())));
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
        List<String> columns = comparison.runtimes().stream()
                .filter(runtime -> rows.isEmpty() || rows.values().stream().anyMatch(cells -> cells.containsKey(runtime)))
                .toList();
        List<String> lines = new ArrayList<>();
        lines.add("| benchmark | unit | " + String.join(" | ", columns.stream().map(comparison::header).toList())
                + " | zbmd vs " + comparison.peerName() + " |");
        lines.add("|---|---|" + "---:|".repeat(columns.size()) + "---|");
        rows.forEach((name, cells) -> {
            Cell any = cells.values().iterator().next();
            StringBuilder line = new StringBuilder("| " + name + " | " + unit(any.unit, comparison) + " |");
            for (String runtime : columns) {
                Cell cell = cells.get(runtime);
                line.append(' ').append(cell == null ? "–" : format(cell)).append(" |");
            }
            line.append(' ').append(ratio(comparison, cells)).append(" |");
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

    /** A counter's unit, from its name (JMH knows only "#"): lower is better for both. */
    private static String counterUnit(String counter) {
        if (counter.toLowerCase(Locale.ROOT).contains("bytes")) {
            return "bytes";
        }
        return counter.endsWith("Micros") ? "µs" : "#";
    }

    private static boolean higherIsBetter(Cell cell) {
        return cell.unit.startsWith("ops/");
    }

    /** zbmd against the better of the peers that ran, naming it when there is a choice. */
    private static String ratio(Comparison comparison, Map<String, Cell> cells) {
        Cell zbmd = cells.get("zbmd");
        String best = null;
        for (String peer : comparison.peers()) {
            Cell cell = cells.get(peer);
            if (cell != null && (best == null || better(cell, cells.get(best)))) {
                best = peer;
            }
        }
        if (zbmd == null || best == null) {
            return "–";
        }
        Cell peer = cells.get(best);
        double factor = higherIsBetter(zbmd) ? zbmd.median / peer.median : peer.median / zbmd.median;
        String against = comparison.peers().size() > 1 ? " (vs " + comparison.header(best) + ")" : "";
        return String.format(Locale.ROOT, "%.2f× %s%s", factor >= 1 ? factor : 1 / factor,
                factor >= 1 ? "better" : "worse", against);
    }

    private static boolean better(Cell a, Cell b) {
        return higherIsBetter(a) ? a.median > b.median : a.median < b.median;
    }

    private static String unit(String jmhUnit, Comparison comparison) {
        return switch (jmhUnit) {
            case "ops/s" -> comparison.throughputUnit();
            case "ns/op", "us/op", "ms/op" -> jmhUnit.replace("/op", "").replace("us", "µs");
            default -> jmhUnit;
        };
    }

    private static String format(Cell cell) {
        if (cell.min == cell.max) {
            return format(cell.median);
        }
        return format(cell.median) + " (" + format(cell.min) + "–" + format(cell.max) + ")";
    }

    private static String format(double value) {
        if (value >= 100_000) {
            return String.format(Locale.ROOT, "%,.0f", value).replace(',', '\u2009');
        }
        return value >= 100 ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.1f", value);
    }
}
