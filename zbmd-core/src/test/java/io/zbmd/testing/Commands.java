package io.zbmd.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** External commands a test runs (escript, mvn): found on the PATH, or the test cannot run. */
public final class Commands {
    private Commands() {}

    /**
     * @param command the command's name
     * @param missing what to say when it is not on the PATH (how to install it)
     * @return its path; skips the test without it, or fails it under {@code CI=true}
     */
    public static Path required(String command, String missing) {
        Optional<Path> found = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(directory -> Path.of(directory, command)).filter(Files::isExecutable).findFirst();
        if (found.isEmpty() && System.getenv("CI") != null) {
            fail(command + " is not on the PATH: " + missing);
        }
        assumeTrue(found.isPresent(), command + " is not on the PATH: " + missing);
        return found.get();
    }
}
