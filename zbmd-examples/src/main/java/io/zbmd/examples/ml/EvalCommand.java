package io.zbmd.examples.ml;

import io.zbmd.gpu.CpuBackend;
import io.zbmd.gpu.CpuConfig;
import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointFile;
import io.zbmd.ml.checkpoint.CheckpointFormatException;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.IncompatibleCheckpointException;
import io.zbmd.ml.checkpoint.Recovery;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.DatasetNotFoundException;
import io.zbmd.ml.data.FashionMnist;
import io.zbmd.ml.data.ImageDataset;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.train.Trainer;
import io.zbmd.ml.train.TrainingState;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zbmd eval --checkpoint D}: the test accuracy of a checkpoint written by
 * {@code zbmd train} (the newest valid one in a directory, or a given file). The model is
 * the one the checkpoint's config names.
 */
@Command(name = "eval", sortOptions = false, mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        versionProvider = Cli.Version.class,
        description = "Measures a training checkpoint on the Fashion-MNIST test set.")
public final class EvalCommand implements Callable<Integer> {
    private static final Pattern MODEL = Pattern.compile("(?:^|,)model=([a-z]+)");

    @Option(names = "--checkpoint", required = true, paramLabel = "D|FILE", description = "a checkpoint directory"
            + " (its newest valid checkpoint) or one checkpoint file")
    Path checkpoint;

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
        try (Arena arena = Arena.ofConfined()) {
            Optional<Checkpoint> found = load(arena);
            if (found.isEmpty()) {
                return fail("no valid checkpoint in " + checkpoint);
            }
            Checkpoint loaded = found.get();
            Matcher model = MODEL.matcher(loaded.config());
            if (!model.find() || !(model.group(1).equals("mlp") || model.group(1).equals("cnn"))) {
                return fail(loaded.source().map(Path::toString).orElse("the checkpoint") + " does not name its model"
                        + " (mlp or cnn) in its config '" + loaded.config() + "'; was it written by zbmd train?");
            }
            FashionMnist dataset = FashionMnist.load(data);
            ImageDataset test = testLimit == 0 || testLimit >= dataset.test().size() ? dataset.test()
                    : dataset.test().first(testLimit);
            try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(threads)
                    .withMemoryBudgetBytes(1L << 30)); TensorScope scope = TensorScope.create(cpu)) {
                Sequential net;
                try (var ignored = scope.enter()) {
                    net = model.group(1).equals("cnn") ? FashionMnistModels.cnn(0) : FashionMnistModels.mlp(0);
                }
                TrainingState.loadModel(loaded, net);
                double accuracy = Trainer.accuracy(net, test, DataLoaderConfig.ofBatchSize(1)
                        .withStandardization(FashionMnist.TRAIN_PIXEL_MEAN, FashionMnist.TRAIN_PIXEL_STD));
                String source = loaded.source().map(Path::toString).orElse("?");
                String name = model.group(1);
                out.println(json
                        ? Cli.jsonObject(g -> {
                            g.writeStringField("checkpoint", source);
                            g.writeStringField("model", name);
                            g.writeNumberField("step", loaded.step());
                            g.writeNumberField("accuracy", accuracy);
                            g.writeNumberField("test_images", test.size());
                        })
                        : String.format(Locale.ROOT, "%s: %s at step %,d, test accuracy %.4f on %,d images", source,
                                model.group(1), loaded.step(), accuracy, test.size()));
                return 0;
            }
        } catch (DatasetNotFoundException e) {
            return fail(e.getMessage() + "\n" + Cli.DATASET_HINT);
        } catch (CheckpointFormatException | IncompatibleCheckpointException e) {
            return fail(e.getMessage());
        } catch (IOException e) {
            return fail("cannot read " + checkpoint + ": " + e.getMessage());
        }
    }

    private Optional<Checkpoint> load(Arena arena) throws IOException {
        if (Files.isDirectory(checkpoint)) {
            try (Recovery recovery = CheckpointStore.open(checkpoint, Integer.MAX_VALUE).latestValid()) {
                recovery.rejected().forEach(r -> err.println("eval: passed over " + r));
                Optional<Path> file = recovery.file();
                return file.isPresent() ? Optional.of(CheckpointFile.read(file.get(), arena)) : Optional.empty();
            }
        }
        if (!Files.exists(checkpoint)) {
            throw new IOException("no such file or directory");
        }
        return Optional.of(CheckpointFile.read(checkpoint, arena));
    }

    private int fail(String message) {
        err.println("eval: " + message);
        return 2;
    }
}
