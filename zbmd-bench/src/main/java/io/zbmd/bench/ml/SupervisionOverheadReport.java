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
 * supervised and checkpointed training round after round, and reports each one's median time
 * per step and the median of the per-round ratios to the plain loop, with a 95 % confidence
 * interval for that median. JMH runs each mode in a fork of its own, minutes apart; on a
 * shared machine whose speed drifts by several percent over minutes, that cannot resolve a
 * 1 % difference, while ratios of runs seconds apart can.
 *
 * <p>A round runs the modes in a palindrome (plain, supervised, checkpointed, checkpointed,
 * supervised, plain), so that a drift of the machine's speed that is linear over the round
 * weighs on every mode alike, and no mode always follows the checkpointed one (whose writes
 * the kernel flushes while the next run starts). Each run starts after a full garbage
 * collection (as JMH's {@code -gc true}), so that no run pays for another's garbage. The
 * interval is the distribution-free one of order statistics (the binomial's 2.5 % tails), so
 * it assumes nothing of the noise but that rounds are independent. The JMH benchmark stays
 * the reference for absolute numbers.
 *
 * <p>{@code ./zbmd java -cp zbmd-bench/target/zbmd-benchmarks.jar
 * io.zbmd.bench.ml.SupervisionOverheadReport [rounds]} (default 20, after 2 rounds of warm-up).
 */
public final class SupervisionOverheadReport {
    private static final List<String> MODES = List.of("plain", "supervised", "checkpointed");
    private static final int WARMUP_ROUNDS = 2;

    private SupervisionOverheadReport() {}

    /**
     * @param args the number of measured rounds (default 20)
     * @throws IOException if a checkpoint directory cannot be used
     */
    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        if (rounds < 6) {
            throw new IllegalArgumentException("the report needs at least 6 rounds for a 95 % interval, got " + rounds);
        }
        SupervisedTrainingBenchmark bench = new SupervisedTrainingBenchmark();
        bench.threads = 2;
        bench.setUp();
        List<String> palindrome = new ArrayList<>(MODES);
        palindrome.addAll(MODES.reversed());
        Map<String, List<Double>> perStep = new LinkedHashMap<>();
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        MODES.forEach(mode -> {
            perStep.put(mode, new ArrayList<>());
            ratios.put(mode, new ArrayList<>());
        });
        try {
            for (int round = 0; round < WARMUP_ROUNDS + rounds; round++) {
                Map<String, Double> micros = new LinkedHashMap<>();
                for (String mode : palindrome) {
                    bench.freshDirectory();
                    System.gc();
                    long start = System.nanoTime();
                    bench.run(mode);
                    micros.merge(mode, (System.nanoTime() - start) / 1e3 / SupervisedTrainingBenchmark.STEPS / 2,
                            Double::sum);
                    bench.removeDirectory();
                }
                if (round >= WARMUP_ROUNDS) {
                    for (String mode : MODES) {
                        perStep.get(mode).add(micros.get(mode));
                        ratios.get(mode).add(micros.get(mode) / micros.get("plain"));
                    }
                }
            }
        } finally {
            bench.tearDown();
        }
        int low = lowerRankOfMedianInterval(rounds);
        System.out.printf(Locale.ROOT, "%d rounds of %d MLP steps per mode and run, two runs per mode and round,"
                + " modes in a palindrome%n", rounds, SupervisedTrainingBenchmark.STEPS);
        System.out.println("| mode | µs per step (median) | ratio to plain (median of rounds) | 95 % interval of the"
                + " median | ratio range |");
        System.out.println("|---|---:|---:|---|---|");
        for (String mode : MODES) {
            double[] r = sorted(ratios.get(mode));
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.3f | %.3f to %.3f | %.3f to %.3f |%n", mode,
                    median(sorted(perStep.get(mode))), median(r), r[low - 1], r[rounds - low], r[0], r[r.length - 1]);
        }
    }

    /**
     * The rank (from 1) of the lower end of the 95 % confidence interval of a median of
     * {@code n} samples: the largest k with P(Binomial(n, 1/2) &lt; k) at most 2.5 %; the
     * upper end is rank n + 1 - k.
     */
    static int lowerRankOfMedianInterval(int n) {
        double below = 0;
        double term = Math.pow(0.5, n); // P(X = 0)
        int k = 0;
        while (below + term <= 0.025) {
            below += term;
            k++;
            term = term * (n - k + 1) / k;
        }
        return Math.max(k, 1);
    }

    private static double[] sorted(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return sorted;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
