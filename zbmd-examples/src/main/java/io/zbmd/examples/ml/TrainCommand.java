package io.zbmd.examples.ml;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.Backends;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.CheckpointFormatException;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.IncompatibleCheckpointException;
import io.zbmd.ml.checkpoint.Recovery;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.DatasetNotFoundException;
import io.zbmd.ml.data.FashionMnist;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.data.TextCorpus;
import io.zbmd.ml.nn.Gpt;
import io.zbmd.ml.nn.Loss;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.optim.OptimizerFactory;
import io.zbmd.ml.optim.ScheduleFactory;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.train.DeviceFallback;
import io.zbmd.ml.train.FailureLimits;
import io.zbmd.ml.train.IncompatibleRunException;
import io.zbmd.ml.train.InitFrom;
import io.zbmd.ml.train.RunIdentity;
import io.zbmd.ml.train.Trainer;
import io.zbmd.ml.train.TrainerConfig;
import io.zbmd.ml.train.TrainingFailedException;
import io.zbmd.ml.train.TrainingFaults;
import io.zbmd.ml.train.TrainingResult;
import io.zbmd.ml.train.TrainingTask;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code zbmd train}: supervised training of one of the {@link FashionMnistModels} on
 * Fashion-MNIST with {@link Trainer#fit}: Adam with a cosine decay, cross-entropy with label
 * smoothing 0.1, seeded shuffling. With {@code --checkpoint-dir} it writes checkpoints and,
 * run again, resumes from the newest valid one; with {@code --inject-faults} it crashes its
 * own actors, loses replies and fails kernels on purpose, and still ends with the weights of a
 * run without faults.
 *
 * <p>Exit status: 0 done; 1 training failed (a step kept failing, a checkpoint could not be
 * written); 2 a bad command line, a missing dataset, an unusable checkpoint directory, or a
 * checkpoint of another run or model. User errors get a message, never a stack trace.
 */
@Command(name = "train", sortOptions = false, mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        versionProvider = Cli.Version.class,
        description = "Trains a Fashion-MNIST classifier, or a byte-level GPT on plain text, under supervision,"
                + " with checkpoints and resume.")
public final class TrainCommand implements Callable<Integer> {
    /** Softens the one-hot targets; worth about 0.5 % of test accuracy for the MLP here. */
    static final float LABEL_SMOOTHING = 0.1f;
    /** Added to a refusal whose lanes differ: the usual cause is a JVM started without the Vector API. */
    static final String LANES_HINT = "The lanes are the Vector API's width, or scalar when the JVM runs without the"
            + " jdk.incubator.vector module: start it with --add-modules jdk.incubator.vector (as the zbmd script"
            + " does) on a machine with the recorded width.";

    /** Which model. */
    enum Model {
        mlp,
        cnn,
        gpt
    }

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "mlp, cnn or gpt, as --model")
    Model positionalModel;

    @Option(names = "--model", paramLabel = "mlp|cnn|gpt", description = "the 784-256-128-10 perceptron (default),"
            + " the small CNN, or a GPT of bytes (nanoGPT's layout) trained on plain text")
    Model model;

    @Option(names = "--data", paramLabel = "DIR", description = "directory with Fashion-MNIST's four IDX files"
            + " (default: /usr/share/datasets/fashion-mnist), or for gpt a directory of UTF-8 text files"
            + " (default: Debian's fortunes, " + TextCorpus.DEFAULT_DIRECTORY + ")")
    Path data;

    @Option(names = "--epochs", paramLabel = "N", description = "passes over the training set (default 15; gpt:"
            + " passes over --steps batches of seeded random windows, default 1)")
    Integer epochsOption;

    @Option(names = "--steps", paramLabel = "N", description = "gpt: batches of seeded random windows per epoch"
            + " (default 2000)")
    int steps = 2000;

    @Option(names = "--layers", paramLabel = "N", description = "gpt: transformer blocks (default 4)")
    int layers = 4;

    @Option(names = "--heads", paramLabel = "N", description = "gpt: attention heads (default 4)")
    int heads = 4;

    @Option(names = "--width", paramLabel = "N", description = "gpt: model width (default 128)")
    int width = 128;

    @Option(names = "--context", paramLabel = "N", description = "gpt: tokens (bytes) per sequence (default 128)")
    int context = 128;

    @Option(names = "--dropout", paramLabel = "P", description = "gpt: dropout probability (default 0)")
    float dropout;

    @Option(names = "--weight-decay", paramLabel = "X", description = "gpt: AdamW's weight decay (default 0.1)")
    double weightDecay = 0.1;

    @Option(names = "--warmup", paramLabel = "N", description = "gpt: steps of linear warm-up before the cosine"
            + " decay (default 100)")
    int warmup = 100;

    @Option(names = "--clip", paramLabel = "X", description = "gpt: largest global gradient norm, 0 for none"
            + " (default 1)")
    double clip = 1.0;

    @Option(names = {"--batch-size", "--batch"}, paramLabel = "B", description = "samples per step (default 128"
            + " for mlp, 64 for cnn, 32 for gpt)")
    Integer batchSize;

    @Option(names = "--lr", paramLabel = "X", description = "Adam's initial learning rate, decayed along a cosine"
            + " (default 0.001 for mlp and gpt, 0.002 for cnn)")
    Double learningRate;

    @Option(names = "--seed", paramLabel = "S", description = "initialisation, shuffling and dropout seed"
            + " (default 1)")
    long seed = 1;

    @Option(names = "--threads", paramLabel = "T", description = "compute threads (default 2; a resumed run uses"
            + " the count its checkpoints record)")
    Integer threadsOption;

    private int threads;

    @Option(names = "--device", paramLabel = "cpu|opencl[:N]|vulkan[:N]|best[,…]", description = "where to train:"
            + " the CPU (default), OpenCL device N (0 when not given; PoCL runs OpenCL on the CPU), Vulkan device N"
            + " (lavapipe runs Vulkan on the CPU), or the best present (a GPU, else the CPU); a list such as"
            + " opencl,cpu moves the run to the next device when one is lost, opened then (opencl,opencl,cpu"
            + " reopens the device first; needs --checkpoint-dir: the run resumes from its last checkpoint)")
    String device = "cpu";

    @Option(names = "--gemm", paramLabel = "fastest|java|openblas", description = "matrix multiply kernel"
            + " (default: the fastest here, measured at start; a resumed run uses the one its checkpoints record)")
    CpuConfig.Gemm gemm;

    @Option(names = "--init-from", paramLabel = "FILE", description = "start from these weights (a safetensors"
            + " state_dict, such as PyTorch writes, or a checkpoint file) instead of a fresh initialisation; recorded"
            + " as the run's parent")
    Path initFrom;

    @Option(names = "--continue", paramLabel = "D", description = "continue the run whose checkpoints are in D"
            + " (its newest one: weights, optimizer state, data position) for --epochs more, as a new run with its"
            + " own --checkpoint-dir and learning-rate schedule; recorded as the run's parent")
    Path continueFrom;

    @Option(names = "--checkpoint-dir", paramLabel = "D", description = "write checkpoints here; resume from the"
            + " newest valid one of the same run")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "steps between checkpoints (default"
            + " ${DEFAULT-VALUE}; a final one is always written)")
    int checkpointEvery = 500;

    @Option(names = "--keep", paramLabel = "K", description = "checkpoints to keep (default ${DEFAULT-VALUE})")
    int keep = CheckpointStore.KEEP_COUNT_DEFAULT;

    @Option(names = "--inject-faults", paramLabel = "SPEC", description = "faults to inject, e.g."
            + " crash=0.01,drop=0.001,device=0.001,oom=0.0005 (per message, reply, kernel); also slow=P (late"
            + " replies), write=P (failing checkpoint writes) and lost=N (the device lost for good after N"
            + " operations; see --device)")
    String faults = "";

    @Option(names = "--failures-per-step", paramLabel = "N", description = "failures of one step (crashes of its"
            + " actors, lost replies) before the run stops; each committed step starts the count again (default"
            + " ${DEFAULT-VALUE})")
    int failuresPerStep = FailureLimits.DEFAULT_FAILURES_PER_STEP;

    @Option(names = "--json", description = "print one JSON object at the end instead of a summary line (progress"
            + " goes to stderr)")
    boolean json;

    @Option(names = "--metrics-port", paramLabel = "P", description = "serve the training metrics for Prometheus"
            + " at http://localhost:P/metrics while training")
    Integer metricsPort;

    @Option(names = "--progress", paramLabel = "bar|lines|none", description = "default: a bar on a terminal,"
            + " log lines otherwise")
    String progress;

    @Option(names = "--log-every", paramLabel = "N", description = "steps between progress lines (default: five"
            + " per epoch)")
    int logEvery;

    @Option(names = "--train-limit", paramLabel = "N", description = "train on the first N images only (default:"
            + " all)")
    int trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", description = "evaluate on the first N test images only"
            + " (default: all)")
    int testLimit;

    private int epochs;
    private Duration jvmStartToFirstStep = Duration.ZERO;
    private PrintStream out;
    private PrintStream err;

    /**
     * @param args the command line after {@code train}
     * @param out the summary (and progress, unless {@code --json})
     * @param err errors, usage, and progress with {@code --json}
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        // The trainer reports every recovery in one line of its own; the runtime's crash reports
        // (stack traces) and dead-letter notes would repeat each one at length.
        System.setProperty("org.slf4j.simpleLogger.log.io.zbmd.actor.CrashReport",
                System.getProperty("org.slf4j.simpleLogger.log.io.zbmd.actor.CrashReport", "off"));
        System.setProperty("org.slf4j.simpleLogger.log.io.zbmd.actor.DeadLetter",
                System.getProperty("org.slf4j.simpleLogger.log.io.zbmd.actor.DeadLetter", "warn"));
        TrainCommand command = new TrainCommand();
        command.out = out;
        command.err = err;
        return Cli.execute(command, args, out, err);
    }

    @Override
    public Integer call() {
        if (model != null && positionalModel != null && model != positionalModel) {
            return usage("the model is given twice, as " + positionalModel + " and --model " + model);
        }
        Model chosen = model != null ? model : positionalModel != null ? positionalModel : Model.mlp;
        boolean gpt = chosen == Model.gpt;
        epochs = epochsOption != null ? epochsOption : gpt ? 1 : 15;
        int batch = batchSize != null ? batchSize : chosen == Model.cnn ? 64 : gpt ? 32 : 128;
        threads = threadsOption != null ? threadsOption : 2;
        double lr = learningRate != null ? learningRate : chosen == Model.cnn ? 2e-3 : 1e-3;
        if (gpt && (steps < 1 || layers < 1 || heads < 1 || width < 1 || width % heads != 0 || context < 1
                || !(dropout >= 0 && dropout < 1) || !(weightDecay >= 0) || warmup < 0 || !(clip >= 0))) {
            return usage(String.format(Locale.ROOT, "out of range for gpt: --steps %d, --layers %d, --heads %d, --width"
                    + " %d, --context %d, --dropout %s, --weight-decay %s, --warmup %d, --clip %s (steps, layers,"
                    + " heads, width and context must be 1 or more, the width a multiple of the heads, dropout in"
                    + " [0, 1), the rest 0 or more)", steps, layers, heads, width, context, dropout, weightDecay,
                    warmup, clip));
        }
        if (epochs < 1 || batch < 1 || threads < 1 || threads > 256 || !(lr > 0) || !Double.isFinite(lr)
                || checkpointEvery < 0 || keep < 1
                || trainLimit < 0 || testLimit < 0 || logEvery < 0 || failuresPerStep < 1) {
            return usage(String.format(Locale.ROOT, "out of range: --epochs %d, --batch-size %d, --threads %d, --lr %s,"
                    + " --checkpoint-every %d, --keep %d, --train-limit %d, --test-limit %d, --log-every %d,"
                    + " --failures-per-step %d (epochs, batch size, threads (up to 256), keep and failures per step"
                    + " must be 1 or more, lr a finite number above 0, the rest 0 or more)", epochs, batch, threads, lr,
                    checkpointEvery, keep, trainLimit, testLimit, logEvery, failuresPerStep));
        }
        TrainingFaults injected;
        try {
            injected = TrainingFaults.parse(faults, seed);
        } catch (IllegalArgumentException e) {
            return usage("--inject-faults: " + e.getMessage());
        }
        String mode = progress != null ? progress : System.console() != null && !json ? "bar" : "lines";
        if (!mode.equals("bar") && !mode.equals("lines") && !mode.equals("none")) {
            return usage("--progress must be bar, lines or none, not '" + progress + "'");
        }
        // The arguments are checked before any data is read: a mistyped flag costs nothing.
        if (initFrom != null && continueFrom != null) {
            return usage("give --init-from FILE (weights) or --continue D (a run), not both");
        }
        if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
            return usage("--metrics-port " + metricsPort + " is not a TCP port: give 1 to 65535 (or 0 for any free"
                    + " one)");
        }
        Dataset train;
        Dataset test;
        if (gpt) {
            Path directory = data != null ? data : Path.of(TextCorpus.DEFAULT_DIRECTORY);
            try {
                TextCorpus corpus = TextCorpus.load(directory);
                if (corpus.invalidUtf8Sequences() > 0) {
                    err.println("train: " + directory + " holds " + corpus.invalidUtf8Sequences() + " invalid UTF-8"
                            + " sequences; their bytes train as they are");
                }
                train = corpus.sampledTraining(context, Math.multiplyExact(steps, batch), seed);
                test = corpus.validation(context);
            } catch (DatasetNotFoundException e) {
                return userError(e.getMessage());
            } catch (IOException e) {
                return userError("cannot read the text in " + directory + ": " + e.getMessage());
            } catch (IllegalArgumentException | ArithmeticException e) {
                return userError(directory + ": " + e.getMessage() + " (give more text or a shorter --context)");
            }
        } else {
            FashionMnist dataset;
            Path directory = data != null ? data : FashionMnist.DEFAULT_DIRECTORY;
            try {
                dataset = FashionMnist.load(directory);
            } catch (DatasetNotFoundException e) {
                err.println("train: " + e.getMessage());
                err.println(Cli.DATASET_HINT);
                return 2;
            } catch (IOException e) {
                err.println("train: cannot read Fashion-MNIST from " + directory + ": " + e.getMessage());
                return 2;
            }
            train = limit(dataset.train(), trainLimit);
            test = limit(dataset.test(), testLimit);
        }
        CpuConfig cpuConfig = CpuConfig.defaults().withThreads(threads).withMemoryBudgetBytes(1L << 30)
                .withGemm(gemm != null ? gemm : CpuConfig.Gemm.FASTEST);
        if (checkpointDir != null) {
            try {
                cpuConfig = recordedChoices(checkpointDir, cpuConfig);
            } catch (IOException | UncheckedIOException e) {
                return userError("cannot use checkpoint directory " + checkpointDir + ": " + CheckpointStore.reason(e));
            }
        }
        if (continueFrom != null && (checkpointDir == null
                || checkpointDir.toAbsolutePath().normalize().equals(continueFrom.toAbsolutePath().normalize()))) {
            return usage("--continue " + continueFrom + " needs a --checkpoint-dir of its own for the new run's"
                    + " checkpoints (another directory than " + continueFrom + ")");
        }
        Path parentPath = initFrom != null ? initFrom : continueFrom;
        if (parentPath != null && !Files.isRegularFile(parentPath) && !Files.isDirectory(parentPath)) {
            return usage((initFrom != null ? "--init-from " : "--continue ") + parentPath + ": "
                    + (Files.exists(parentPath) ? "not a regular file or directory" : "no such file or directory"));
        }
        PrintStream progressOut = json ? err : out;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MetricsEndpoint endpoint;
        try {
            endpoint = metricsPort == null ? null : MetricsEndpoint.start(metricsPort, registry);
        } catch (IOException e) {
            return usage("--metrics-port " + metricsPort + ": cannot listen there (" + e.getMessage() + ")");
        }
        if (endpoint != null) {
            progressOut.println("train: metrics for Prometheus at " + endpoint.url());
        }
        try {
            return train(chosen, batch, lr, injected, mode, train, test, cpuConfig, progressOut, registry);
        } finally {
            if (endpoint != null) {
                endpoint.close();
            }
        }
    }

    private int train(Model chosen, int batch, double lr, TrainingFaults injected, String mode, Dataset train,
            Dataset test, CpuConfig cpuConfig, PrintStream progressOut, PrometheusMeterRegistry registry) {
        List<String> names = List.of(device.split(",", -1));
        if (names.size() > 1 && checkpointDir == null) {
            return usage("--device " + device + ": moving to the next device resumes from a checkpoint; give"
                    + " --checkpoint-dir too");
        }
        List<Backend> opened = new ArrayList<>();
        List<TensorScope> scopes = new ArrayList<>();
        try {
            opened.add(Backends.open(names.getFirst(), cpuConfig));
            for (String name : names.subList(1, names.size())) {
                // Checked now, opened again when the run moves there: a device named twice comes back afresh.
                Backends.open(name, cpuConfig).close();
            }
        } catch (IllegalArgumentException | DeviceException e) {
            opened.forEach(Backend::close);
            return usage("--device " + device + ": " + e.getMessage());
        }
        try {
            Backend backend = injected.wrap(opened.getFirst());
            TrainerConfig config = chosen == Model.gpt
                    ? TrainerConfig.of(DataLoaderConfig.ofBatchSize(batch).withSeed(seed), epochs,
                            TrainingTask.of(Loss.nextTokenCrossEntropy(),
                                    OptimizerFactory.adamW(0.9, 0.95, 1e-8, weightDecay), lr)
                                    .withSchedule(ScheduleFactory.warmupCosine(warmup)).withGradientClipping(clip))
                    : TrainerConfig.of(DataLoaderConfig.ofBatchSize(batch).withSeed(seed)
                            .withStandardization(FashionMnist.TRAIN_PIXEL_MEAN, FashionMnist.TRAIN_PIXEL_STD), epochs,
                            lr).withLabelSmoothing(LABEL_SMOOTHING);
            config = config
                    .withFaults(injected)
                    .withLimits(FailureLimits.defaults().withFailuresPerStep(failuresPerStep))
                    .withRunConfig("model=" + chosen + (chosen == Model.gpt ? gptShape().toString() : ""))
                    .withListener(new TrainingProgress(progressOut, mode, logEvery))
                    .withMeterRegistry(registry);
            if (checkpointDir != null) {
                config = config.withCheckpoints(checkpointDir, checkpointEvery).withKeepCheckpoints(keep);
            }
            if (initFrom != null) {
                config = config.withInitFrom(InitFrom.weights(initFrom));
            } else if (continueFrom != null) {
                config = config.withInitFrom(InitFrom.run(continueFrom));
            }
            if (names.size() > 1) {
                List<Supplier<Backend>> next = names.subList(1, names.size()).stream()
                        .<Supplier<Backend>>map(name -> () -> {
                            Backend reopened = Backends.open(name, cpuConfig);
                            opened.add(reopened);
                            return reopened;
                        }).toList();
                config = config.withFallback(DeviceFallback.opening(moved -> {
                    TensorScope scope = TensorScope.create(moved);
                    scopes.add(scope);
                    try (var ignored = scope.enter()) {
                        return build(chosen);
                    }
                }, next));
            }
            TensorScope scope = TensorScope.create(backend);
            scopes.add(scope);
            Module net;
            try (var ignored = scope.enter()) {
                net = build(chosen);
            }
            long uptimeAtFit = ManagementFactory.getRuntimeMXBean().getUptime();
            TrainingResult result = Trainer.fit(net, train, test, config);
            jvmStartToFirstStep = Duration.ofMillis(uptimeAtFit).plus(result.timings().firstStep());
            out.println(json ? json(chosen, result, jvmStartToFirstStep) : summary(chosen, result));
            return 0;
        } catch (IncompatibleRunException e) {
            return userError(e.getMessage() + (e.getMessage().contains("\n  lanes: ") ? "\n" + LANES_HINT : ""));
        } catch (IncompatibleCheckpointException e) {
            return userError(e.getMessage());
        } catch (TrainingFailedException e) {
            err.println("train: " + e.getMessage());
            return 1;
        } catch (CheckpointFormatException e) {
            return userError((initFrom != null ? "--init-from: " : "--continue: ") + e.getMessage());
        } catch (IOException e) {
            return userError("cannot use checkpoint directory " + checkpointDir + ": " + CheckpointStore.reason(e));
        } finally {
            scopes.forEach(TensorScope::close);
            opened.forEach(Backend::close);
        }
    }

    private Module build(Model chosen) {
        return switch (chosen) {
            case mlp -> FashionMnistModels.mlp(seed);
            case cnn -> FashionMnistModels.cnn(seed);
            case gpt -> new Gpt(gptShape(), new SplittableRandom(seed));
        };
    }

    private Gpt.Config gptShape() {
        return new Gpt.Config(TextCorpus.VOCABULARY, context, layers, heads, width, dropout, true);
    }

    /**
     * The machine's choices a checkpoint directory's run recorded, where this JVM can make them
     * and the command line does not say otherwise: its thread count, its matrix-multiply kernel
     * (Java or OpenBLAS), scalar lanes if it ran without the Vector API. Results differ in the
     * last bits between them, so a resumed run must use the same ones; {@link Trainer#fit}
     * refuses a resume whose choices still differ (the Vector API's width cannot be chosen).
     */
    private CpuConfig recordedChoices(Path directory, CpuConfig config) throws IOException {
        if (!Files.isDirectory(directory)) {
            return config;
        }
        Optional<RunIdentity> recorded;
        try (Recovery recovery = CheckpointStore.open(directory, Integer.MAX_VALUE).latestValid()) {
            recorded = recovery.checkpoint().flatMap(checkpoint -> RunIdentity.decode(checkpoint.config()));
        }
        if (recorded.isEmpty()) {
            return config;
        }
        RunIdentity.Compute compute = recorded.get().compute();
        if (threadsOption == null && compute.threads() >= 1 && compute.threads() <= 256) {
            threads = compute.threads();
            config = config.withThreads(threads);
        }
        if (gemm == null) {
            config = config.withGemm(compute.gemm().contains("OpenBLAS") ? CpuConfig.Gemm.OPENBLAS
                    : CpuConfig.Gemm.JAVA);
        }
        return compute.lanes().equals("scalar") ? config.withVectorApi(false) : config;
    }

    private static ImageDataset limit(ImageDataset dataset, int limit) {
        return limit == 0 || limit >= dataset.size() ? dataset : dataset.first(limit);
    }

    private int usage(String message) {
        err.println("train: " + message);
        err.println("See ./zbmd train --help.");
        return 2;
    }

    private int userError(String message) {
        err.println("train: " + message);
        return 2;
    }

    static String summary(Model model, TrainingResult result) {
        String quality = model == Model.gpt
                ? String.format(Locale.ROOT, "validation loss %.4f nats (%.3f bits per byte)", result.testLoss(),
                        result.testLoss() / Math.log(2))
                : String.format(Locale.ROOT, "accuracy %.4f", result.testAccuracy());
        if (result.steps() == result.resumedFromStep()) {
            return String.format(Locale.ROOT, "%s  the run had already finished: %,d steps, nothing left to train (give"
                    + " more --epochs in another --checkpoint-dir to train further)", quality, result.steps());
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "%s  loss %.4f  %,d steps%s in %.1f s  recoveries: %s", quality, result.finalLoss(), result.steps(),
                result.resumedFromStep() > 0 ? " (resumed at " + result.resumedFromStep() + ")" : "",
                result.elapsed().toNanos() / 1e9, result.recoveries().isEmpty() ? "none" : recoveries(result)));
        if (result.mostStepFailures() > 0) {
            line.append(String.format(Locale.ROOT, "  (a step failed at most %d time%s)", result.mostStepFailures(),
                    result.mostStepFailures() == 1 ? "" : "s"));
        }
        if (result.microBatches() > 1) {
            line.append(String.format(Locale.ROOT, "  (batches split in %d after out-of-memory)",
                    result.microBatches()));
        }
        result.lastCheckpoint().ifPresent(file -> line.append(String.format(Locale.ROOT,
                "  %d checkpoint(s), last %s", result.checkpointsWritten(), file)));
        return line.toString();
    }

    private static String recoveries(TrainingResult result) {
        StringBuilder text = new StringBuilder();
        result.recoveries().forEach((cause, count) -> text.append(text.isEmpty() ? "" : ", ").append(cause).append(' ')
                .append(count));
        return text.toString();
    }

    static String json(Model model, TrainingResult result, Duration jvmStartToFirstStep) {
        return Cli.jsonObject(g -> {
            g.writeStringField("model", model.name());
            if (model == Model.gpt) {
                g.writeNumberField("validation_loss", result.testLoss());
                g.writeNumberField("bits_per_byte", result.testLoss() / Math.log(2));
            } else {
                g.writeNumberField("accuracy", result.testAccuracy());
            }
            if (Double.isFinite(result.finalLoss())) {
                g.writeNumberField("loss", result.finalLoss());
            } else {
                g.writeNullField("loss"); // no step ran in this process: the run had finished
            }
            g.writeNumberField("steps", result.steps());
            g.writeNumberField("resumed_from_step", result.resumedFromStep());
            g.writeNumberField("elapsed_s", result.elapsed().toNanos() / 1e9);
            g.writeObjectFieldStart("recoveries");
            for (Map.Entry<String, Long> entry : result.recoveries().entrySet()) {
                g.writeNumberField(entry.getKey(), entry.getValue());
            }
            g.writeEndObject();
            g.writeNumberField("checkpoints", result.checkpointsWritten());
            Optional<Path> last = result.lastCheckpoint();
            if (last.isPresent()) {
                g.writeStringField("last_checkpoint", last.get().toString());
            }
            g.writeNumberField("micro_batches", result.microBatches());
            g.writeNumberField("most_step_failures", result.mostStepFailures());
            g.writeStringField("fingerprint", result.fingerprint());
            TrainingResult.Timings t = result.timings();
            g.writeObjectFieldStart("timings");
            g.writeNumberField("median_step_ms", t.medianStep().toNanos() / 1e6);
            g.writeNumberField("recoveries_timed", t.recoveries());
            g.writeNumberField("median_recovery_ms", t.medianRecovery().toNanos() / 1e6);
            g.writeNumberField("max_recovery_ms", t.maxRecovery().toNanos() / 1e6);
            g.writeNumberField("median_checkpoint_stall_ms", t.medianCheckpointStall().toNanos() / 1e6);
            g.writeNumberField("max_checkpoint_stall_ms", t.maxCheckpointStall().toNanos() / 1e6);
            g.writeNumberField("jvm_start_to_first_step_s", jvmStartToFirstStep.toNanos() / 1e9);
            g.writeEndObject();
        });
    }
}
