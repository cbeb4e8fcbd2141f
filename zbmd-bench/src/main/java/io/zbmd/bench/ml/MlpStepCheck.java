package io.zbmd.bench.ml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Checks that the two peers of {@link MlpStepBenchmark} compute the same thing: from the same
 * initial weights on the same batch, the first losses agree (both about ln 10) and the losses
 * of the following steps fall together. It also shows what libtorch reports about its
 * threads and how many native threads the PyTorch steps actually started. Exits with status
 * 1 if a check fails.
 *
 * <p>{@code ./zbmd java -cp zbmd-bench/target/zbmd-benchmarks.jar io.zbmd.bench.ml.MlpStepCheck [threads]}
 */
public final class MlpStepCheck {
    private static final int STEPS = 10;
    /** Steps over which per-thread CPU time is measured (clock ticks are 10 ms). */
    private static final int BUSY_STEPS = 400;
    /** Float32 forward passes through different kernels: the first losses agree this closely. */
    private static final double FIRST_LOSS_TOLERANCE = 1e-4;
    /** Adam's two formulations (eps inside or outside the bias correction) drift a little apart. */
    private static final double LOSS_TOLERANCE = 2e-2;

    private MlpStepCheck() {}

    /**
     * @param args optional thread count (default 1)
     * @throws IOException if {@code /proc/self/task} cannot be read
     */
    public static void main(String[] args) throws IOException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        MlpBatch batch = MlpBatch.synthetic(MlpStepBenchmark.BATCH_SEED);
        float[] zbmdLosses = new float[STEPS];
        float[] torchLosses = new float[STEPS];
        try (MlpTraining zbmd = MlpStepBenchmark.create(MlpStepBenchmark.ZBMD, threads, batch)) {
            for (int i = 0; i < STEPS; i++) {
                zbmdLosses[i] = zbmd.step();
            }
            System.out.println("zbmd:    " + zbmd.describe());
        }
        Map<String, String> before = osThreads();
        try (MlpTraining torch = MlpStepBenchmark.create(MlpStepBenchmark.PYTORCH, threads, batch)) {
            Map<String, String> loaded = osThreads();
            for (int i = 0; i < STEPS; i++) {
                torchLosses[i] = torch.step();
            }
            Map<String, String> stepped = osThreads();
            System.out.println("PyTorch: " + torch.describe());
            System.out.println("PyTorch: threads started while loading libtorch and building the model: "
                    + started(before, loaded));
            System.out.println("PyTorch: threads started by " + STEPS + " training steps: " + started(loaded, stepped)
                    + " (libtorch's OpenMP pool: intra-op threads - 1 = " + (threads - 1) + ")");
            Map<String, Long> cpuBefore = cpuTicks();
            long startNs = System.nanoTime();
            for (int i = 0; i < BUSY_STEPS; i++) {
                torch.step();
            }
            long wallMs = (System.nanoTime() - startNs) / 1_000_000;
            System.out.println("PyTorch: threads that used the CPU during " + BUSY_STEPS + " more steps (" + wallMs
                    + " ms): " + busy(cpuBefore, cpuTicks(), stepped));
        }
        boolean ok = report(zbmdLosses, torchLosses);
        System.out.println(ok ? "OK: both peers compute the same training step" : "FAILED");
        if (!ok) {
            System.exit(1);
        }
    }

    private static boolean report(float[] zbmd, float[] torch) {
        boolean ok = Math.abs(zbmd[0] - torch[0]) < FIRST_LOSS_TOLERANCE
                && Math.abs(zbmd[0] - Math.log(MlpBatch.CLASSES)) < 0.35
                && zbmd[STEPS - 1] < zbmd[0] && torch[STEPS - 1] < torch[0];
        System.out.println("| step | zbmd loss | PyTorch loss | difference |");
        System.out.println("|---:|---:|---:|---:|");
        for (int i = 0; i < STEPS; i++) {
            double difference = zbmd[i] - torch[i];
            ok &= Math.abs(difference) < LOSS_TOLERANCE;
            System.out.printf(Locale.ROOT, "| %d | %.6f | %.6f | %+.2e |%n", i, zbmd[i], torch[i], difference);
        }
        System.out.printf(Locale.ROOT, "ln 10 = %.6f%n", Math.log(MlpBatch.CLASSES));
        return ok;
    }

    /** @return the threads of this process by Linux thread id, with their names (JVM and native alike) */
    private static Map<String, String> osThreads() throws IOException {
        Map<String, String> threads = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    threads.put(task.getFileName().toString(), Files.readString(task.resolve("comm")).strip());
                } catch (IOException e) {
                    // the thread ended while listed
                }
            }
        }
        return threads;
    }

    /** @return CPU time (user + system, clock ticks) each thread of this process has used */
    private static Map<String, Long> cpuTicks() throws IOException {
        Map<String, Long> ticks = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    // fields after the parenthesised name: state is field 3, utime 14, stime 15
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.put(task.getFileName().toString(), Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
                } catch (IOException e) {
                    // the thread ended while listed
                }
            }
        }
        return ticks;
    }

    /** The threads that used at least a tenth of the busiest one's CPU time, with their share. */
    private static String busy(Map<String, Long> before, Map<String, Long> after, Map<String, String> names) {
        Map<String, Long> used = new TreeMap<>();
        after.forEach((tid, ticks) -> used.put(tid, ticks - before.getOrDefault(tid, 0L)));
        long most = used.values().stream().mapToLong(Long::longValue).max().orElse(0);
        List<String> busy = new ArrayList<>();
        used.forEach((tid, ticks) -> {
            if (most > 0 && ticks * 10 >= most) {
                busy.add(names.getOrDefault(tid, "?") + " " + ticks * 10 + " ms");
            }
        });
        return busy.size() + " " + busy;
    }

    private static String started(Map<String, String> before, Map<String, String> after) {
        List<String> names = new ArrayList<>();
        after.forEach((tid, name) -> {
            if (!before.containsKey(tid)) {
                names.add(name);
            }
        });
        return names.size() + " " + names;
    }
}
