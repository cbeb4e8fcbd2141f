package io.zbmd.bench.ml;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link SupervisedTrainingBenchmark}'s three runs, interleaved: one JVM runs plain,
 * supervised and checkpointed training in turn, round after round (the order rotating), and
 * reports each one's median time per step and the median of the per-round ratios to the plain
 * loop. JMH runs each mode in a fork of its own, minutes apart; on a shared machine whose speed
 * drifts by several percent over minutes, that cannot resolve a 1 % difference, while ratios
 * of runs a second apart can. The JMH benchmark stays the reference for absolute numbers.
 *
 * <p>{@code ./zbmd java -cp zbmd-bench/target/zbmd-benchmarks.jar
 * io.zbmd.bench.ml.SupervisionOverheadReport [rounds]} (default 15, after 3 rounds of warm-up).
 */
public final class SupervisionOverheadReport {
    private static final List<String> MODES = List.of("plain", "supervised", "checkpointed");
    private static final int WARMUP_ROUNDS = 3;

    private SupervisionOverheadReport() {}

    /**
     * @param args the number of measured rounds (default 15)
     * @throws IOException if a checkpoint directory cannot be used
     */
    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        SupervisedTrainingBenchmark bench = new SupervisedTrainingBenchmark();
        bench.threads = 2;
        bench.setUp();
        Map<String, List<Double>> perStep = new LinkedHashMap<>();
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        MODES.forEach(mode -> {
            perStep.put(mode, new ArrayList<>());
            ratios.put(mode, new ArrayList<>());
        });
        try {
            for (int round = 0; round < WARMUP_ROUNDS + rounds; round++) {
                Map<String, Double> times = new LinkedHashMap<>();
                for (int i = 0; i < MODES.size(); i++) {
                    String mode = MODES.get((round + i) % MODES.size());
                    bench.freshDirectory();
                    long start = System.nanoTime();
                    bench.run(mode);
                    times.put(mode, (System.nanoTime() - start) / 1e3 / SupervisedTrainingBenchmark.STEPS);
                    bench.removeDirectory();
                }
                if (round >= WARMUP_ROUNDS) {
                    for (String mode : MODES) {
                        perStep.get(mode).add(times.get(mode));
                        ratios.get(mode).add(times.get(mode) / times.get("plain"));
                    }
                }
            }
        } finally {
            bench.tearDown();
        }
        System.out.printf(Locale.ROOT, "%d rounds of %d MLP steps each, modes interleaved%n", rounds,
                SupervisedTrainingBenchmark.STEPS);
        System.out.println("| mode | µs per step (median) | ratio to plain (median of rounds) | ratio range |");
        System.out.println("|---|---:|---:|---|");
        for (String mode : MODES) {
            double[] r = ratios.get(mode).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.3f | %.3f to %.3f |%n", mode, median(perStep.get(mode)),
                    median(ratios.get(mode)), r[0], r[r.length - 1]);
        }
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
