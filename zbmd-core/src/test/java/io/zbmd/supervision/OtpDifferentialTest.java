package io.zbmd.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.zbmd.supervision.OtpScenarioGenerator.Feature;
import io.zbmd.testing.Commands;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * zbmd's supervisors against Erlang/OTP's own {@code supervisor}: the same random scenarios
 * (strategies, restart types, intensity and period, nested and dynamic supervisors, failed
 * and ignored starts, shutdown timeouts that expire, process-actor children, significant
 * children, exits, kills, the child API), played by OTP through {@code src/test/erlang/otp_supervision.erl}
 * and by zbmd through {@link ZbmdScenarioPlayer}, must leave the same trace, line for line:
 * every start and end of a child in order, every call's answer, the tree after every step.
 *
 * <p>Needs {@code escript} (Debian's {@code erlang-base}, which {@code ./zbmd test} installs
 * as root); skipped without it, failed under {@code CI=true}. A failure prints the scenario's
 * number and both traces; {@code -Dzbmd.otp.seed=S -Dzbmd.otp.only=N} replays scenario N of
 * the run with seed S alone.
 */
class OtpDifferentialTest {
    /** Scenarios per run. */
    static final int SCENARIOS = Integer.getInteger("zbmd.otp.scenarios", 5000);
    static final long SEED = Long.getLong("zbmd.otp.seed", 20261207L);
    private static final int PARALLELISM = 5000;
    private static final long OTP_TIMEOUT_MINUTES = 15;

    /**
     * What the scenarios of a CI run draw from (besides the three strategies, intensity,
     * crashes and timeout shutdowns, which every scenario has): every {@link Feature}.
     */
    static final Set<Feature> AGREED = EnumSet.allOf(Feature.class);

    @TempDir
    Path dir;
    /** Scenarios the Erlang driver ran again because they took too long outside their waits. */
    private int otpReruns;

    @Test
    void zbmdsSupervisorsLeaveTheTracesOtpsLeave() throws IOException, InterruptedException {
        Path escript = escript();
        List<OtpScenario> scenarios = scenarios(features());
        long start = System.nanoTime();
        Map<Integer, List<String>> otp = playOnOtp(escript, scenarios);
        long otpDone = System.nanoTime();
        List<String> disagreements = new ArrayList<>();
        for (OtpScenario scenario : scenarios) {
            List<String> expected = canonical(scenario, otp.get(scenario.id()));
            List<String> actual;
            try {
                actual = canonical(scenario, ZbmdScenarioPlayer.play(scenario, seed(scenario.id())));
            } catch (RuntimeException | AssertionError e) {
                actual = List.of("zbmd threw " + e);
            }
            if (!actual.equals(expected)) {
                disagreements.add(report(scenario, expected, actual));
            }
        }
        System.out.printf("%d scenarios of %s: OTP %.1f s (%d run again, slow under load), zbmd %.1f s, %d"
                + " disagree%n", scenarios.size(), features(), (otpDone - start) / 1e9, otpReruns,
                (System.nanoTime() - otpDone) / 1e9, disagreements.size());
        assertThat(otp).hasSize(scenarios.size());
        if (!disagreements.isEmpty()) {
            fail(disagreements.size() + " of " + scenarios.size() + " scenarios disagree with OTP (seed " + SEED
                    + "); the first:\n" + String.join("\n", disagreements.subList(0, Math.min(3,
                    disagreements.size()))));
        }
    }

    /** {@link #AGREED}, or the features named in {@code -Dzbmd.otp.features=A,B} (ALL for every one). */
    static Set<Feature> features() {
        String named = System.getProperty("zbmd.otp.features");
        if (named == null) {
            return AGREED;
        }
        if (named.equals("ALL")) {
            return EnumSet.allOf(Feature.class);
        }
        Set<Feature> features = EnumSet.noneOf(Feature.class);
        for (String name : named.split(",")) {
            if (!name.isBlank()) {
                features.add(Feature.valueOf(name.strip()));
            }
        }
        return features;
    }

    /**
     * The trace with what OTP leaves unordered put in order: a dynamic supervisor stops its
     * children all at once and they end in whatever order they are scheduled, so each run of
     * consecutive ends of its children is sorted (on both sides).
     */
    static List<String> canonical(OtpScenario scenario, List<String> trace) {
        if (trace == null || !(scenario.top() instanceof OtpScenario.Dynamic)) {
            return trace;
        }
        List<String> sorted = new ArrayList<>(trace);
        int i = 0;
        while (i < sorted.size()) {
            int end = i;
            while (end < sorted.size() && sorted.get(end).startsWith("end ") && !sorted.get(end).startsWith("end top ")) {
                end++;
            }
            if (end > i + 1) {
                sorted.subList(i, end).sort(null);
            }
            i = Math.max(end, i + 1);
        }
        return List.copyOf(sorted);
    }

    static long seed(int id) {
        return new SplittableRandom(SEED ^ (0x9E3779B97F4A7C15L * (id + 1))).nextLong();
    }

    static List<OtpScenario> scenarios(Set<Feature> features) {
        OtpScenarioGenerator generator = new OtpScenarioGenerator(features);
        Integer only = Integer.getInteger("zbmd.otp.only");
        Stream<Integer> ids = only != null ? Stream.of(only) : Stream.iterate(0, i -> i + 1).limit(SCENARIOS);
        return ids.map(id -> generator.scenario(id, seed(id))).toList();
    }

    static String report(OtpScenario scenario, List<String> expected, List<String> actual) {
        StringBuilder text = new StringBuilder("scenario " + scenario.id() + " (-Dzbmd.otp.seed=" + SEED
                + " -Dzbmd.otp.only=" + scenario.id() + "): " + scenario.toErlang() + "\n");
        int first = 0;
        while (first < expected.size() && first < actual.size() && expected.get(first).equals(actual.get(first))) {
            first++;
        }
        text.append("  first difference at line ").append(first + 1).append('\n');
        int width = Math.max(expected.size(), actual.size());
        for (int i = 0; i < width; i++) {
            String e = i < expected.size() ? expected.get(i) : "";
            String a = i < actual.size() ? actual.get(i) : "";
            text.append(String.format("  %s %-45s | %s%n", e.equals(a) ? " " : "*", e, a));
        }
        return text.toString();
    }

    /** @return the traces OTP leaves, by scenario */
    Map<Integer, List<String>> playOnOtp(Path escript, List<OtpScenario> scenarios)
            throws IOException, InterruptedException {
        Path input = dir.resolve("scenarios.eterm");
        Files.writeString(input, scenarios.stream().map(OtpScenario::toErlang).collect(Collectors.joining("\n"))
                + "\n");
        Path output = dir.resolve("otp-traces.txt");
        Path errors = dir.resolve("otp-errors.txt");
        Process otp = new ProcessBuilder(escript.toString(), Path.of("src/test/erlang/otp_supervision.erl")
                .toAbsolutePath().toString(), input.toString(), Integer.toString(PARALLELISM))
                .redirectOutput(output.toFile()).redirectError(errors.toFile()).start();
        if (!otp.waitFor(OTP_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            otp.destroyForcibly();
            fail("the Erlang driver did not finish in " + OTP_TIMEOUT_MINUTES + " minutes");
        }
        assertThat(otp.exitValue()).as(Files.readString(errors)).isZero();
        Map<Integer, List<String>> traces = new HashMap<>();
        List<String> current = null;
        int id = -1;
        for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
            if (line.startsWith("reruns ")) {
                otpReruns = Integer.parseInt(line.substring("reruns ".length()));
            } else if (line.startsWith("scenario ")) {
                id = Integer.parseInt(line.substring("scenario ".length()));
                current = new ArrayList<>();
            } else if (line.equals("end_scenario")) {
                traces.put(id, List.copyOf(current));
                current = null;
            } else if (current != null) {
                current.add(line);
            }
        }
        return traces;
    }

    /** @return escript on the PATH; skips (or fails under CI) without it */
    static Path escript() {
        return Commands.required("escript",
                "install Debian's erlang-base (./zbmd test does when it runs as root)");
    }
}
