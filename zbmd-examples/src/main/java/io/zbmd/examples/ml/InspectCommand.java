package io.zbmd.examples.ml;

import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointFile;
import io.zbmd.ml.checkpoint.CheckpointFormatException;
import io.zbmd.ml.checkpoint.TensorData;
import io.zbmd.ml.train.RunIdentity;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code zbmd inspect FILE}: what a checkpoint holds: its training state (step, zbmd version,
 * config, data position, random state) and every tensor with its dtype, shape and CRC32C.
 * Reading it verifies every checksum, so a file that prints is intact.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        versionProvider = Cli.Version.class,
        description = "Prints a checkpoint's training state and tensors, after verifying its checksums.")
public final class InspectCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "a checkpoint file (step-….safetensors)")
    Path file;

    private PrintStream out;
    private PrintStream err;

    /**
     * @param args the command line after {@code inspect}
     * @param out the listing
     * @param err errors
     * @return the exit status: 0, or 2 for a missing or damaged file
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        InspectCommand command = new InspectCommand();
        command.out = out;
        command.err = err;
        return Cli.execute(command, args, out, err);
    }

    @Override
    public Integer call() {
        if (!Files.isRegularFile(file)) {
            err.println("inspect: " + file + " is not a file" + (Files.isDirectory(file) ? " (a directory: give one of"
                    + " its step-….safetensors files)" : ""));
            return 2;
        }
        try (Arena arena = Arena.ofConfined()) {
            Checkpoint checkpoint = CheckpointFile.read(file, arena);
            out.printf(Locale.ROOT, "%s: checksums verified%n", file);
            out.printf(Locale.ROOT, "  step           %,d%n", checkpoint.step());
            out.printf(Locale.ROOT, "  zbmd version   %s%n", checkpoint.zbmdVersion());
            Optional<RunIdentity> run = RunIdentity.decode(checkpoint.config());
            if (run.isPresent()) {
                RunIdentity.Compute compute = run.get().compute();
                out.printf(Locale.ROOT, "  run            %s%n", run.get().notes());
                out.printf(Locale.ROOT, "    model        %s%n", run.get().model());
                out.printf(Locale.ROOT, "    data         %s%n", run.get().data());
                out.printf(Locale.ROOT, "    task         %s%n", run.get().task());
                out.printf(Locale.ROOT, "    epochs       %d%n", run.get().epochs());
                if (!run.get().parent().isEmpty()) {
                    out.printf(Locale.ROOT, "    parent       %s%n", run.get().parent());
                }
                out.printf(Locale.ROOT, "    compute      %s, %d threads, GEMM %s, lanes %s%n", compute.backend(),
                        compute.threads(), compute.gemm(), compute.lanes());
            } else {
                out.printf(Locale.ROOT, "  config         %s%n", checkpoint.config());
            }
            out.printf(Locale.ROOT, "  data position  %s (epoch:sample)%n", checkpoint.dataPosition());
            out.printf(Locale.ROOT, "  random state   %s%n", checkpoint.rngState());
            list("model", checkpoint.model());
            list("optimizer", checkpoint.optimizerState());
            return 0;
        } catch (CheckpointFormatException e) {
            err.println("inspect: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("inspect: cannot read " + file + ": " + e.getMessage());
            return 2;
        }
    }

    private void list(String what, Map<String, TensorData> tensors) {
        long elements = tensors.values().stream().mapToLong(t -> t.spec().elementCount()).sum();
        out.printf(Locale.ROOT, "%s tensors (%d, %,d elements):%n", what, tensors.size(), elements);
        int width = tensors.keySet().stream().mapToInt(String::length).max().orElse(4);
        tensors.forEach((name, data) -> out.printf(Locale.ROOT, "  %-" + width + "s  %-4s  %-14s  crc32c %08x%n",
                name, data.dtype(), Arrays.toString(data.spec().shape()), data.crc32c()));
    }
}
