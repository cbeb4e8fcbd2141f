package io.zbmd.bench.ml;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A Python script from this package's resources, run with Python torch
 * ({@link PythonTorchTraining#python()}) in a process of its own in a temporary directory and
 * driven one line per command: it first says "ready ...", then answers each command with one
 * line ("error ..." when it failed). Not thread-safe.
 */
final class PythonScript implements AutoCloseable {
    private final Process process;
    private final BufferedWriter commands;
    private final BufferedReader answers;
    private final Path workDir;
    private final String ready;

    /** Writes a script's input files into its directory. */
    interface Inputs {
        void write(Path directory) throws IOException;
    }

    /**
     * @param resources the script, then any module it imports, beside it in this package
     * @param inputs writes the script's input files into its directory
     * @param arguments the script's arguments, given its directory
     * @throws IllegalStateException if Python with torch is missing or the script does not start
     */
    PythonScript(List<String> resources, Inputs inputs, Function<Path, List<String>> arguments) {
        Path python = PythonTorchTraining.python().orElseThrow(() -> new IllegalStateException(
                PythonTorchTraining.missing()));
        try {
            workDir = Files.createTempDirectory("zbmd-torch-");
            for (String resource : resources) {
                try (InputStream source = PythonScript.class.getResourceAsStream(resource)) {
                    if (source == null) {
                        throw new IllegalStateException("the resource " + resource + " is missing from the build");
                    }
                    Files.copy(source, workDir.resolve(resource));
                }
            }
            inputs.write(workDir);
            List<String> command = new ArrayList<>(List.of(python.toString(), workDir.resolve(resources.get(0))
                    .toString()));
            command.addAll(arguments.apply(workDir));
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            commands = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII));
            answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            ready = answers.readLine();
            if (ready == null || !ready.startsWith("ready ")) {
                close();
                throw new IllegalStateException("the PyTorch script " + resources.get(0) + " did not start (" + python
                        + " said " + ready + ")");
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not run the PyTorch script with " + python + ": " + e.getMessage(),
                    e);
        }
    }

    /** @return the script's first line, "ready" and what it said of itself */
    String ready() {
        return ready;
    }

    /** @return the script's directory */
    Path directory() {
        return workDir;
    }

    /**
     * @return the script's answer to {@code command}
     * @throws IllegalStateException if it failed or is gone
     */
    String ask(String command) {
        try {
            commands.write(command);
            commands.newLine();
            commands.flush();
            String answer = answers.readLine();
            if (answer == null || answer.startsWith("error")) {
                throw new IllegalStateException("the PyTorch script failed on '" + command + "': " + answer);
            }
            return answer;
        } catch (IOException e) {
            throw new IllegalStateException("the PyTorch script is gone: " + e.getMessage(), e);
        }
    }

    /** Asks the script to quit, waits a little for it, and removes its directory. */
    @Override
    public void close() {
        if (commands != null) {
            try {
                commands.write("quit");
                commands.newLine();
                commands.flush();
            } catch (IOException e) {
                // already gone
            }
        }
        if (process != null) {
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try (var files = Files.list(workDir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(workDir);
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }
}
