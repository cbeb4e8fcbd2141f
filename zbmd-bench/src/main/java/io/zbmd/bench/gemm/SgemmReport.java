package io.zbmd.bench.gemm;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link SgemmBenchmark} and prints a Markdown table of GFLOP/s (medians of the measured
 * iterations) per size and thread count, with zbmd's ratios to OpenBLAS from the same run and
 * the cores each implementation kept busy. Takes JMH's command-line options, e.g.
 * {@code java -cp zbmd-benchmarks.jar io.zbmd.bench.gemm.SgemmReport -wi 2 -i 3 -p n=1024}.
 */
public final class SgemmReport {
    private static final List<String> COLUMNS = List.of(SgemmBenchmark.ZBMD_DEFAULT, SgemmBenchmark.ZBMD_JAVA,
            SgemmBenchmark.ZBMD_OPENBLAS_FFM, SgemmBenchmark.OPENBLAS_JNI);

    private SgemmReport() {}

    /**
     * @param args JMH options; without a benchmark pattern, runs {@link SgemmBenchmark}
     * @throws Exception if JMH fails
     */
    public static void main(String[] args) throws Exception {
        CommandLineOptions commandLine = new CommandLineOptions(args);
        Options options = commandLine.getIncludes().isEmpty()
                ? new OptionsBuilder().parent(commandLine).include(SgemmBenchmark.class.getName()).build()
                : commandLine;
        Collection<RunResult> results = new Runner(options).run();
        System.out.println();
        System.out.println(markdown(results));
    }

    private record Cell(double gflops, double cpusBusy) {}

    /**
     * @param results a run of {@link SgemmBenchmark}
     * @return one row per (n, threads): GFLOP/s per implementation, ratios, cores busy
     */
    static String markdown(Collection<RunResult> results) {
        Map<String, Map<String, Cell>> rows = new TreeMap<>();
        for (RunResult run : results) {
            Result<?> gflop = run.getSecondaryResults().get("gflop");
            Result<?> cpus = run.getSecondaryResults().get("cores");
            if (gflop == null) {
                continue;
            }
            String key = String.format(Locale.ROOT, "%5s | %d", run.getParams().getParam("n"),
                    Integer.parseInt(run.getParams().getParam("threads")));
            rows.computeIfAbsent(key, k -> new TreeMap<>()).put(run.getParams().getParam("impl"),
                    new Cell(median(gflop), cpus == null ? Double.NaN : median(cpus)));
        }
        List<String> lines = new ArrayList<>();
        lines.add("| n | threads | zbmd default | zbmd Java | OpenBLAS (FFM, same memory) | OpenBLAS (netlib JNI) "
                + "| Java / OpenBLAS FFM | Java / OpenBLAS JNI | cores busy (default, Java, FFM, JNI) |");
        lines.add("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        rows.forEach((key, cells) -> {
            StringBuilder line = new StringBuilder("| " + key.trim() + " |");
            List<String> busy = new ArrayList<>();
            for (String column : COLUMNS) {
                Cell cell = cells.get(column);
                line.append(' ').append(cell == null ? "–" : format(cell.gflops())).append(" |");
                busy.add(cell == null ? "–" : format(cell.cpusBusy()));
            }
            Cell java = cells.get(SgemmBenchmark.ZBMD_JAVA);
            line.append(' ').append(ratio(java, cells.get(SgemmBenchmark.ZBMD_OPENBLAS_FFM)))
                    .append(" | ").append(ratio(java, cells.get(SgemmBenchmark.OPENBLAS_JNI)))
                    .append(" | ").append(String.join(", ", busy)).append(" |");
            lines.add(line.toString());
        });
        lines.add("");
        lines.add("GFLOP/s (2n³ per call), medians of the measured iterations; ratios from the same run. The headline");
        lines.add("is zbmd's Java kernel against OpenBLAS through FFM on the same off-heap memory; \"zbmd default\" is");
        lines.add("whichever of the two won zbmd's start-up probe, so it is not compared.");
        return String.join(System.lineSeparator(), lines);
    }

    private static double median(Result<?> result) {
        return result.getStatistics().getN() > 0 ? result.getStatistics().getPercentile(50) : result.getScore();
    }

    private static String ratio(Cell zbmd, Cell peer) {
        return zbmd == null || peer == null ? "–" : String.format(Locale.ROOT, "%.2f", zbmd.gflops() / peer.gflops());
    }

    private static String format(double value) {
        return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, "%.1f", value);
    }
}
