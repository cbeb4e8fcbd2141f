package io.zbmd.examples.ml;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointFormatException;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.IncompatibleCheckpointException;
import io.zbmd.ml.checkpoint.Weights;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.DatasetNotFoundException;
import io.zbmd.ml.data.FashionMnist;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.train.RunIdentity;
import io.zbmd.ml.train.Trainer;
import io.zbmd.ml.train.TrainingState;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zbmd eval --checkpoint D}: the test accuracy of a checkpoint written by
 * {@code zbmd train} (the newest valid one in a directory, or a given file), with the model
 * its run names; or {@code zbmd eval --model mlp|cnn --weights FILE}: of a weights file, such
 * as a PyTorch {@code state_dict} saved with safetensors (F32, F16 or BF16).
 */
@Command(name = "eval", sortOptions = false, mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        versionProvider = Cli.Version.class,
        description = "Measures a training checkpoint, or a weights file, on the Fashion-MNIST test set.")
public final class EvalCommand implements Callable<Integer> {
    private static final Pattern MODEL = Pattern.compile("(?:^|,)model=([a-z]+)");

    @Option(names = "--checkpoint", paramLabel = "D|FILE", description = "a checkpoint directory"
            + " (its newest valid checkpoint) or one checkpoint file")
    Path checkpoint;

    @Option(names = "--weights", paramLabel = "FILE", description = "a safetensors file of the model's weights"
            + " alone (a PyTorch state_dict: F32, F16 or BF16), with --model")
    Path weights;

    @Option(names = "--model", paramLabel = "mlp|cnn", description = "the model the --weights are for")
    TrainCommand.Model model;

    @Option(names = "--save-weights", paramLabel = "FILE", description = "also write the model's weights alone to"
            + " FILE, as a safetensors state_dict PyTorch loads (no optimizer state)")
    Path saveWeights;

    @Option(names = "--data", paramLabel = "DIR", description = "directory with Fashion-MNIST's four IDX files"
            + " (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEFAULT_DIRECTORY;

    @Option(names = "--test-limit", paramLabel = "N", description = "evaluate on the first N test images only")
    int testLimit;

    @Option(names = "--threads", paramLabel = "T", description = "compute threads (default 2)")
    int threads = 2;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    private PrintStream out;
    private PrintStream err;

    /**
     * @param args the command line after {@code eval}
     * @param out the result
     * @param err errors
     * @return the exit status: 0, or 2 for bad input
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        EvalCommand command = new EvalCommand();
        command.out = out;
        command.err = err;
        return Cli.execute(command, args, out, err);
    }

    @Override
    public Integer call() {
        if (testLimit < 0 || threads < 1 || threads > 256) {
            return fail("out of range: --test-limit " + testLimit + " (0 or more), --threads " + threads
                    + " (1 to 256)");
        }
        if ((checkpoint == null) == (weights == null)) {
            return fail("give either --checkpoint D|FILE (a run's checkpoint) or --weights FILE with --model mlp|cnn");
        }
        if (weights != null && model == null) {
            return fail("--weights " + weights + " needs --model mlp or --model cnn: a weights file does not say"
                    + " which model it is for");
        }
        try {
            FashionMnist dataset = FashionMnist.load(data);
            ImageDataset test = testLimit == 0 || testLimit >= dataset.test().size() ? dataset.test()
                    : dataset.test().first(testLimit);
            return weights != null ? evaluateWeights(test) : evaluateCheckpoint(test);
        } catch (DatasetNotFoundException e) {
            return fail(e.getMessage() + "\n" + Cli.DATASET_HINT);
        } catch (CheckpointFormatException | IncompatibleCheckpointException e) {
            return fail(e.getMessage());
        } catch (IOException e) {
            return fail("cannot read " + (weights != null ? weights : checkpoint) + ": " + CheckpointStore.reason(e));
        }
    }

    private int evaluateCheckpoint(ImageDataset test) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Optional<Checkpoint> found = CheckpointArgument.read(checkpoint, arena,
                    r -> err.println("eval: passed over " + r));
            if (found.isEmpty()) {
                return fail("no valid checkpoint in " + checkpoint);
            }
            Checkpoint loaded = found.get();
            Matcher named = MODEL.matcher(RunIdentity.decode(loaded.config()).map(RunIdentity::notes)
                    .orElse(loaded.config()));
            if (named.find() && named.group(1).equals("gpt")) {
                return fail(CheckpointArgument.source(loaded) + " is a GPT's checkpoint: eval measures mlp and cnn"
                        + " ones on Fashion-MNIST (a GPT's validation loss is in its zbmd train summary; zbmd"
                        + " generate continues a text with it)");
            }
            named.reset();
            if (!named.find() || !(named.group(1).equals("mlp") || named.group(1).equals("cnn"))) {
                return fail(CheckpointArgument.source(loaded) + " does not name its model (mlp or cnn) in its config '"
                        + loaded.config() + "'; was it written by zbmd train?");
            }
            TrainCommand.Model chosen = TrainCommand.Model.valueOf(named.group(1));
            return report(chosen, test, net -> TrainingState.loadModel(loaded, net), CheckpointArgument.source(loaded),
                    loaded.step());
        }
    }

    private int evaluateWeights(ImageDataset test) throws IOException {
        if (Files.isDirectory(weights)) {
            return fail("--weights " + weights + " is a directory; give a safetensors file (a run's checkpoint"
                    + " directory goes with --checkpoint)");
        }
        return report(model, test, net -> {
            try {
                Weights.load(weights, net.stateDict(), true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, weights.toString(), -1);
    }

    /** Builds the model on a CPU backend, loads it, refuses non-finite weights, measures and prints. */
    private int report(TrainCommand.Model chosen, ImageDataset test, Consumer<Sequential> loadInto, String source,
            long step) throws IOException {
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(threads)
                .withMemoryBudgetBytes(1L << 30)); TensorScope scope = TensorScope.create(cpu)) {
            Sequential net;
            try (var ignored = scope.enter()) {
                net = chosen == TrainCommand.Model.cnn ? FashionMnistModels.cnn(0) : FashionMnistModels.mlp(0);
            }
            try {
                loadInto.accept(net);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            Optional<String> nonFinite = TrainingState.firstNonFinite(net);
            if (nonFinite.isPresent()) {
                return fail(source + " holds weights that are not finite (" + nonFinite.get() + "): it cannot be"
                        + " evaluated");
            }
            if (saveWeights != null) {
                Weights.save(net.stateDict(), saveWeights);
            }
            double accuracy = Trainer.accuracy(net, test, DataLoaderConfig.ofBatchSize(1)
                    .withStandardization(FashionMnist.TRAIN_PIXEL_MEAN, FashionMnist.TRAIN_PIXEL_STD));
            String name = chosen.name();
            out.println(json
                    ? Cli.jsonObject(g -> {
                        g.writeStringField(step >= 0 ? "checkpoint" : "weights", source);
                        g.writeStringField("model", name);
                        if (step >= 0) {
                            g.writeNumberField("step", step);
                        }
                        g.writeNumberField("accuracy", accuracy);
                        g.writeNumberField("test_images", test.size());
                    })
                    : String.format(Locale.ROOT, "%s: %s%s, test accuracy %.4f on %,d images", source, name,
                            step >= 0 ? String.format(Locale.ROOT, " at step %,d", step) : "", accuracy,
                            test.size()));
            return 0;
        }
    }

    private int fail(String message) {
        err.println("eval: " + message);
        return 2;
    }
}
