package io.zbmd.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zbmd.testing.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path a Maven user takes, followed to the letter: a project of its own
 * ({@code src/test/consumer}, outside zbmd's reactor) imports {@code zbmd-bom}, depends on
 * {@code zbmd-ml}, and is built against the artifacts {@code ./zbmd test} has just
 * installed, then run with the JVM flags docs/getting-started.md gives. It must print what
 * its actors and its tensors computed, without zbmd's advice about missing flags.
 *
 * <p>Needs {@code mvn} and the artifacts of this build in the local repository: skipped
 * without them (a plain {@code mvn verify} installs nothing), failed under {@code CI=true}.
 */
class ConsumerProjectTest {
    private static final Path CONSUMER = Path.of("src/test/consumer");
    private static final long BUILD_MINUTES = 5;

    @TempDir
    Path dir;

    @Test
    void aProjectOfItsOwnBuildsAndRunsAgainstTheInstalledArtifacts() throws IOException, InterruptedException {
        Path mvn = Commands.required("mvn", "install Maven 3.8.7 or newer");
        String version = builtVersion();
        Path pom = CONSUMER.resolve("pom.xml");
        assertThat(Files.readString(pom)).as("the consumer asks for this build's version")
                .contains("<zbmd.version>" + version + "</zbmd.version>");
        requireInstalled(version);

        copy(CONSUMER, dir);
        Path output = dir.resolve("build-and-run.txt");
        ProcessBuilder build = new ProcessBuilder(mvn.toString(), "-B", "-ntp", "package", "exec:exec")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(output.toFile());
        build.environment().put("JAVA_HOME", System.getProperty("java.home"));
        build.environment().put("MAVEN_OPTS", "--sun-misc-unsafe-memory-access=allow");
        Process process = build.start();
        if (!process.waitFor(BUILD_MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail("the consumer project did not build and run in " + BUILD_MINUTES + " minutes");
        }
        String log = Files.readString(output);
        assertThat(process.exitValue()).as(log).isZero();
        assertThat(log).as(log)
                .contains("counter after a crash: 3")
                .contains("matmul: [19.0, 22.0, 43.0, 50.0]")
                .doesNotContain("runs zbmd without");
    }

    /** @return the version the reactor built, from zbmd-core's jar */
    private static String builtVersion() throws IOException {
        Pattern jar = Pattern.compile("zbmd-core-(.+)\\.jar");
        try (Stream<Path> files = Files.list(Path.of("../zbmd-core/target"))) {
            return files.map(f -> jar.matcher(f.getFileName().toString()))
                    .filter(Matcher::matches)
                    .map(m -> m.group(1))
                    .filter(v -> !v.endsWith("-sources") && !v.endsWith("-javadoc") && !v.endsWith("-tests"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("zbmd-core's jar is not built"));
        }
    }

    /** The local repository must hold the jars this build made (./zbmd test installs them). */
    private static void requireInstalled(String version) throws IOException {
        Path repository = Path.of(System.getProperty("maven.repo.local",
                System.getProperty("user.home") + "/.m2/repository"));
        for (String module : List.of("zbmd-core", "zbmd-gpu", "zbmd-ml")) {
            Path built = Path.of("..", module, "target", module + "-" + version + ".jar");
            Path installed = repository.resolve(Path.of("io", "zbmd", module, version, module + "-" + version + ".jar"));
            boolean current = Files.isRegularFile(installed)
                    && Arrays.equals(Files.readAllBytes(built), Files.readAllBytes(installed));
            if (!current && System.getenv("CI") != null) {
                fail(installed + " is missing or not this build's: run ./zbmd test, which installs before this test");
            }
            assumeTrue(current, installed + " is not this build's jar (./zbmd test installs it)");
        }
        assumeTrue(Files.isRegularFile(repository.resolve("io/zbmd/zbmd-bom/" + version + "/zbmd-bom-" + version
                + ".pom")), "zbmd-bom is not installed");
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : files.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }
}
