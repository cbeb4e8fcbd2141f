package io.zbmd.examples.ml;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The training part of {@code ./zbmd demo}, the README's first command: the MLP on all of
 * Fashion-MNIST under supervision, with checkpoints in a temporary directory (removed at the
 * end) and the faults below injected. One definition, so that the test that runs it in CI
 * runs what the README shows.
 */
public final class Demo {
    /** 1 % of messages crash their actor, 0.1 % of replies are lost, 0.1 % of kernels fail, 0.05 % run out of memory. */
    public static final String FAULTS = "crash=0.01,drop=0.001,device=0.001,oom=0.0005";

    private Demo() {}

    /**
     * @param more further {@code train} options (the README's command gives none)
     * @param out the summary and progress
     * @param err errors
     * @return the exit status of {@code train}
     */
    public static int run(String[] more, PrintStream out, PrintStream err) {
        Path checkpoints;
        try {
            checkpoints = Files.createTempDirectory("zbmd-demo.");
        } catch (IOException e) {
            err.println("demo: cannot create a temporary checkpoint directory: " + e.getMessage());
            return 2;
        }
        try {
            err.println("zbmd: supervised MLP on Fashion-MNIST, injecting faults " + FAULTS + "; checkpoints in "
                    + checkpoints);
            String[] args = Stream.concat(Stream.of("--model", "mlp", "--checkpoint-dir", checkpoints.toString(),
                    "--inject-faults", FAULTS), Stream.of(more)).toArray(String[]::new);
            return TrainCommand.run(args, out, err);
        } finally {
            delete(checkpoints);
        }
    }

    private static void delete(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory: the system cleans it up in time
        }
    }
}
