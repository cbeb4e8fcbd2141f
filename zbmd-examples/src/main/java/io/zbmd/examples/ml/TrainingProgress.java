package io.zbmd.examples.ml;

import io.zbmd.ml.train.TrainingListener;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Shows a training run: a progress bar redrawn in place on a terminal ({@code bar}), or plain
 * lines for logs and pipes ({@code lines}); {@code none} prints nothing. The first
 * {@value #RECOVERIES_IN_FULL} recoveries get a line each, later ones are counted by cause on
 * each epoch's line (a run with injected faults recovers thousands of times). Runs on the
 * training's metrics actor, never on the training thread.
 */
final class TrainingProgress implements TrainingListener {
    private static final int BAR_WIDTH = 30;
    static final int RECOVERIES_IN_FULL = 10;
    private final Map<String, Integer> recoveriesThisEpoch = new TreeMap<>();
    private int recoveries;
    private final PrintStream out;
    private final String mode;
    private final int logEvery;
    private long stepsPerEpoch = 1;
    private long lastDraw;
    private boolean barShown;

    TrainingProgress(PrintStream out, String mode, int logEvery) {
        this.out = out;
        this.mode = mode;
        this.logEvery = logEvery;
    }

    @Override
    public void started(long startStep, long totalSteps, long stepsPerEpoch, String description) {
        this.stepsPerEpoch = stepsPerEpoch;
        if (mode.equals("none")) {
            return;
        }
        out.println("train: " + description);
        if (startStep > 0) {
            out.printf(Locale.ROOT, "train: resumed at step %,d of %,d%n", startStep, totalSteps);
        }
    }

    @Override
    public void stepped(Progress p) {
        switch (mode) {
            case "bar" -> {
                long now = System.nanoTime();
                if (now - lastDraw < 100_000_000L && p.step() != p.totalSteps()) {
                    return;
                }
                lastDraw = now;
                int filled = (int) (BAR_WIDTH * p.step() / Math.max(1, p.totalSteps()));
                out.printf(Locale.ROOT, "\r[%s%s] epoch %d  step %,d/%,d  loss %.4f  %,.0f samples/s  ETA %s ",
                        "#".repeat(filled), " ".repeat(BAR_WIDTH - filled), p.epoch(), p.step(), p.totalSteps(),
                        p.loss(), p.samplesPerSecond(), format(p.eta()));
                out.flush();
                barShown = true;
            }
            case "lines" -> {
                long every = logEvery > 0 ? logEvery : Math.max(1, stepsPerEpoch / 5);
                if (p.step() % every == 0 || p.step() == p.totalSteps()) {
                    out.printf(Locale.ROOT, "step %,d/%,d  epoch %d  loss %.4f  %,.0f samples/s  ETA %s%n", p.step(),
                            p.totalSteps(), p.epoch(), p.loss(), p.samplesPerSecond(), format(p.eta()));
                }
            }
            default -> {}
        }
    }

    @Override
    public void epochEnded(int epoch, double meanLoss, Duration took) {
        if (!mode.equals("none")) {
            endBar();
            out.printf(Locale.ROOT, "epoch %2d  loss %.4f  %.1f s%s%n", epoch, meanLoss, took.toNanos() / 1e9,
                    recoveriesThisEpoch.isEmpty() ? "" : "  recovered " + recoveriesThisEpoch.toString()
                            .replaceAll("[{}]", "").replace("=", " "));
            recoveriesThisEpoch.clear();
        }
    }

    @Override
    public void recovered(String cause, long step, String detail) {
        if (cause.equals("migration")) {
            endBar(); // a change of device is said whatever the progress mode
            out.printf(Locale.ROOT, "moved after %,d steps: %s%n", step, detail);
            return;
        }
        if (mode.equals("none")) {
            return;
        }
        recoveriesThisEpoch.merge(cause, 1, Integer::sum);
        if (++recoveries <= RECOVERIES_IN_FULL) {
            endBar();
            out.printf(Locale.ROOT, "recovered (%s) at step %,d: %s%n", cause, step, detail);
            if (recoveries == RECOVERIES_IN_FULL) {
                out.println("(further recoveries are counted on each epoch's line)");
            }
        }
    }

    @Override
    public void checkpointed(long step, Path file, Duration took) {
        if (mode.equals("lines")) {
            out.printf(Locale.ROOT, "checkpoint step %,d  %s  %.1f ms%n", step, file, took.toNanos() / 1e6);
        }
    }

    private void endBar() {
        if (barShown) {
            out.println();
            barShown = false;
        }
    }

    private static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
