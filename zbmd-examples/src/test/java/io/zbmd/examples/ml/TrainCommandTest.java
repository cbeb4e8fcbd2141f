package io.zbmd.examples.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.zbmd.gpu.opencl.OpenClDevices;
import io.zbmd.gpu.vulkan.VulkanContext;
import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.CheckpointFile;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.checkpoint.Recovery;
import io.zbmd.ml.checkpoint.TensorData;
import io.zbmd.ml.data.FashionMnist;
import io.zbmd.ml.train.TrainingResult;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zbmd train} on real data in CI (a subset of Fashion-MNIST): it learns, repeats itself
 * bit for bit with and without injected faults, survives {@code kill -9} of its JVM at random
 * points and ends with the weights of a run that was never killed, and answers bad input with
 * a message and status 2, changing nothing on disk.
 */
class TrainCommandTest {
    private static final String[] SMALL = {"--model", "mlp", "--batch-size", "64", "--train-limit",
        "2000", "--test-limit", "500", "--json", "--progress", "lines", "--log-every", "1", "--gemm", "java"};
    private static final Pattern STEP = Pattern.compile("^step (\\d+)/");

    @TempDir
    Path dir;

    private static void requireDataset() {
        boolean present = Files.exists(FashionMnist.DEFAULT_DIRECTORY.resolve("train-images-idx3-ubyte.gz"));
        if (!present && System.getenv("CI") != null) {
            fail("Fashion-MNIST is not in " + FashionMnist.DEFAULT_DIRECTORY
                    + ": ./zbmd test installs Debian's dataset-fashion-mnist when it runs as root");
        }
        assumeTrue(present, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }

    /** Status, stdout, stderr of one in-process run. */
    private record Outcome(int status, String out, String err) {
        Map<String, String> json() {
            return parse(out.strip());
        }
    }

    /** A command's {@code run(args, out, err)}. */
    private interface Command {
        int run(String[] args, PrintStream out, PrintStream err);
    }

    private static Outcome run(Command command, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = command.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Outcome train(String... args) {
        return run(TrainCommand::run, args);
    }

    private static Outcome generate(String... args) {
        return run(GenerateCommand::run, args);
    }

    /** @return a directory holding one small text file, 1,640 bytes of a repeated sentence */
    private Path catText() throws IOException {
        Path text = dir.resolve("text");
        Files.createDirectories(text);
        Files.writeString(text.resolve("a"), "the cat sat on the mat and the dog ran. ".repeat(40));
        return text;
    }

    private static String[] with(String[] base, String... more) {
        return Stream.concat(Stream.of(base), Stream.of(more)).toArray(String[]::new);
    }

    /** The scalar fields of a JSON object, as text; those of a nested object as {@code outer.inner}. */
    static Map<String, String> parse(String json) {
        Map<String, String> fields = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(json)) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            int depth = 1;
            String prefix = "";
            while (depth > 0) {
                JsonToken token = p.nextToken();
                if (token == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken value = p.nextToken();
                    if (value == JsonToken.START_OBJECT) {
                        prefix = name + ".";
                        depth++;
                    } else {
                        fields.put(prefix + name, p.getText());
                    }
                } else if (token == JsonToken.END_OBJECT) {
                    depth--;
                    prefix = "";
                }
            }
        } catch (IOException e) {
            throw new AssertionError("not one JSON object: " + json, e);
        }
        return fields;
    }

    @Test
    void mlpLearnsASubsetAndRepeatsItselfBitForBitWithAndWithoutFaults() {
        requireDataset();
        String[] args = {"--model", "mlp", "--epochs", "3", "--batch-size", "64", "--train-limit", "6000",
            "--test-limit", "2000", "--json", "--progress", "none", "--threads", "2"};
        Outcome first = train(args);
        assertThat(first.status()).as(first.err()).isZero();
        Map<String, String> a = first.json();
        // Ten classes: chance is 0.10; this subset and schedule reach about 0.84.
        assertThat(Double.parseDouble(a.get("accuracy"))).isGreaterThan(0.80);
        assertThat(a.get("steps")).isEqualTo("282");
        Map<String, String> b = train(args).json();
        assertThat(b.get("fingerprint")).isEqualTo(a.get("fingerprint"));
        Outcome faulty = train(with(args, "--inject-faults", "crash=0.02,drop=0.002,device=0.0005"));
        assertThat(faulty.status()).as(faulty.err()).isZero();
        Map<String, String> c = faulty.json();
        assertThat(c.keySet()).anyMatch(key -> key.startsWith("recoveries."));
        assertThat(c.get("fingerprint")).isEqualTo(a.get("fingerprint"));
        assertThat(c.get("accuracy")).isEqualTo(a.get("accuracy"));
    }

    @Test
    void cnnTrainsOnAFewBatches() {
        requireDataset();
        Outcome outcome = train("cnn", "--epochs", "1", "--batch-size", "64", "--lr", "0.001", "--train-limit", "1024",
                "--test-limit", "500", "--json", "--progress", "none");
        assertThat(outcome.status()).as(outcome.err()).isZero();
        // 16 steps reach about 0.70: far from trained, but well past chance.
        assertThat(Double.parseDouble(outcome.json().get("accuracy"))).isGreaterThan(0.55);
    }

    /** A child JVM running {@code train}; its progress lines (stderr with --json) are read as they come. */
    private static Process start(String... args) throws IOException {
        return start(true, args);
    }

    /** As {@link #start(String...)}, with or without the Vector API module. */
    private static Process start(boolean vectorApi, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        if (vectorApi) {
            command.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.zbmd.examples.Main", "train"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).start();
    }

    /** Runs to the end; returns the JSON result. */
    private static Map<String, String> runToEnd(String... args) throws IOException, InterruptedException {
        Process child = start(args);
        String err;
        try (var stderr = child.getErrorStream()) {
            err = new String(stderr.readAllBytes(), StandardCharsets.UTF_8);
        }
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor()).as(err).isZero();
        return parse(out.strip());
    }

    /** Kills the child with SIGKILL as soon as it reports a step at or past {@code step}; returns the step seen. */
    private static long killAfter(long step, String... args) throws IOException, InterruptedException {
        Process child = start(args);
        long seen = -1;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getErrorStream(),
                StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                Matcher m = STEP.matcher(line);
                if (m.find()) {
                    seen = Long.parseLong(m.group(1));
                    if (seen >= step) {
                        child.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
                        break;
                    }
                }
            }
        }
        child.waitFor();
        assertThat(seen).as("the child reached step %d before it was killed", step).isGreaterThanOrEqualTo(step);
        return seen;
    }

    @Test
    void killedWithSigkillAtRandomPointsThenRunAgainEndsWithTheWeightsOfARunNeverKilled()
            throws IOException, InterruptedException {
        requireDataset();
        Map<String, String> clean = runToEnd(with(SMALL, "--epochs", "2", "--checkpoint-dir",
                dir.resolve("clean").toString(),
                "--checkpoint-every", "4"));
        assertThat(clean.get("steps")).isEqualTo("64");
        assertThat(clean.get("checkpoints")).isEqualTo("16");

        String[] killed = with(SMALL, "--epochs", "2", "--checkpoint-dir", dir.resolve("killed").toString(),
                "--checkpoint-every", "4");
        SplittableRandom random = new SplittableRandom(Long.getLong("zbmd.test.seed", 42L));
        long at = 0;
        for (int kill = 0; kill < 3; kill++) {
            at = killAfter(at + 1 + random.nextInt(15), killed);
        }
        Map<String, String> resumed = runToEnd(killed);
        assertThat(Long.parseLong(resumed.get("resumed_from_step"))).isPositive();
        assertThat(resumed.get("fingerprint")).isEqualTo(clean.get("fingerprint"));
        assertThat(resumed.get("accuracy")).isEqualTo(clean.get("accuracy"));
    }

    @Test
    void aResumeByAJvmWithoutTheVectorApiIsRefusedAndChangesNothing() throws IOException, InterruptedException {
        requireDataset();
        String[] run = with(SMALL, "--epochs", "1", "--checkpoint-dir", dir.resolve("run").toString(),
                "--checkpoint-every", "8");
        Map<String, String> whole = runToEnd(run);
        // As if the run had died after step 16's checkpoint.
        try (Stream<Path> files = Files.list(dir.resolve("run"))) {
            for (Path file : files.toList()) {
                if (!file.getFileName().toString().equals(CheckpointStore.fileName(16))) {
                    Files.delete(file);
                }
            }
        }
        byte[] checkpoint = Files.readAllBytes(dir.resolve("run").resolve(CheckpointStore.fileName(16)));

        Process scalar = start(false, run);
        String err;
        try (var stderr = scalar.getErrorStream()) {
            err = new String(stderr.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(scalar.waitFor()).as(err).isEqualTo(2);
        assertThat(err).contains("lanes: the checkpoint's run had 'vector-api-").contains("this run has 'scalar'")
                .contains("--add-modules jdk.incubator.vector").doesNotContain("\tat ").doesNotContain("Exception");
        try (Stream<Path> files = Files.list(dir.resolve("run"))) {
            assertThat(files.map(file -> file.getFileName().toString()).toList())
                    .containsExactly(CheckpointStore.fileName(16));
        }
        assertThat(dir.resolve("run").resolve(CheckpointStore.fileName(16))).hasBinaryContent(checkpoint);

        Map<String, String> resumed = runToEnd(run);
        assertThat(resumed.get("resumed_from_step")).isEqualTo("16");
        assertThat(resumed.get("fingerprint")).isEqualTo(whole.get("fingerprint"));
    }

    @Test
    void aFinishedRunIsContinuedAsANewRunInADirectoryOfItsOwn() {
        requireDataset();
        Path first = dir.resolve("first");
        Outcome trained = train(with(SMALL, "--epochs", "1", "--checkpoint-dir", first.toString()));
        assertThat(trained.status()).as(trained.err()).isZero();
        Outcome more = train(with(SMALL, "--epochs", "2", "--checkpoint-dir", first.toString()));
        assertThat(more.status()).isEqualTo(2);
        assertThat(more.err()).contains("epochs: the checkpoint's run had '1', this run has '2'")
                .contains("zbmd train --continue");
        Outcome noDirectory = train(with(SMALL, "--epochs", "1", "--continue", first.toString()));
        assertThat(noDirectory.status()).isEqualTo(2);
        assertThat(noDirectory.err()).contains("needs a --checkpoint-dir of its own");
        Outcome continued = train(with(SMALL, "--epochs", "1", "--continue", first.toString(), "--checkpoint-dir",
                dir.resolve("second").toString()));
        assertThat(continued.status()).as(continued.err()).isZero();
        assertThat(continued.json().get("resumed_from_step")).isEqualTo("0");
        assertThat(continued.json().get("steps")).isEqualTo(trained.json().get("steps"));
        assertThat(continued.json().get("fingerprint")).isNotEqualTo(trained.json().get("fingerprint"));
    }

    @Test
    void theMlpTrainsOnAnOpenClDeviceAsOnTheCpuAndAResumeOnTheOtherIsRefused() throws IOException {
        requireDataset();
        if (OpenClDevices.list().isEmpty()) {
            if (System.getenv("CI") != null) {
                fail("no OpenCL device: ./zbmd test installs PoCL (pocl-opencl-icd) when it runs as root");
            }
            assumeTrue(false, "no OpenCL device here (apt-get install pocl-opencl-icd)");
        }
        String[] args = {"--model", "mlp", "--epochs", "1", "--batch-size", "128", "--train-limit", "4000",
            "--test-limit", "1000", "--json", "--progress", "none"};
        Outcome cpu = train(with(args, "--device", "cpu"));
        assertThat(cpu.status()).as(cpu.err()).isZero();
        Path run = dir.resolve("on-opencl");
        Outcome device = train(with(args, "--device", "opencl", "--checkpoint-dir", run.toString()));
        assertThat(device.status()).as(device.err()).isZero();
        Map<String, String> onCpu = cpu.json();
        Map<String, String> onDevice = device.json();
        assertThat(onDevice.get("steps")).isEqualTo(onCpu.get("steps"));
        // Other kernels, other last bits: the same training to within a few images of a thousand.
        assertThat(Double.parseDouble(onDevice.get("accuracy")))
                .isCloseTo(Double.parseDouble(onCpu.get("accuracy")), offset(0.005))
                .isGreaterThan(0.70);
        Outcome again = train(with(args, "--device", "opencl"));
        assertThat(again.json().get("fingerprint")).as("bit-reproducible on its device")
                .isEqualTo(onDevice.get("fingerprint"));

        Map<Path, byte[]> before = contents(run);
        Outcome elsewhere = train(with(args, "--device", "cpu", "--epochs", "2", "--checkpoint-dir",
                run.toString()));
        assertThat(elsewhere.status()).as(elsewhere.out()).isEqualTo(2);
        assertThat(elsewhere.err()).contains("opencl").contains("cpu").doesNotContain("\tat ");
        Map<Path, byte[]> after = contents(run);
        assertThat(after.keySet()).isEqualTo(before.keySet());

        // The device lost a third of the way: the run moves to the CPU and resumes from its last checkpoint.
        Path moved = dir.resolve("moved");
        Outcome migrated = train(with(args, "--device", "opencl,cpu", "--checkpoint-dir", moved.toString(),
                "--checkpoint-every", "10", "--inject-faults", "lost=1000"));
        assertThat(migrated.status()).as(migrated.err()).isZero();
        Map<String, String> afterMove = migrated.json();
        assertThat(afterMove.get("recoveries.migration")).isEqualTo("1");
        assertThat(afterMove.get("resumed_from_step")).isEqualTo("10");
        assertThat(afterMove.get("steps")).isEqualTo(onCpu.get("steps"));
        assertThat(Double.parseDouble(afterMove.get("accuracy")))
                .isCloseTo(Double.parseDouble(onCpu.get("accuracy")), offset(0.005));
        assertThat(migrated.err()).contains("is lost").contains("moves to");
        // Named twice, the device is opened afresh and the run finishes there.
        Outcome reopened = train(with(args, "--device", "opencl,opencl,cpu", "--checkpoint-dir",
                dir.resolve("reopened").toString(), "--checkpoint-every", "10", "--inject-faults", "lost=1000"));
        assertThat(reopened.status()).as(reopened.err()).isZero();
        assertThat(reopened.json().get("recoveries.migration")).isEqualTo("1");
        assertThat(reopened.err()).contains("moves to opencl:0");
        Outcome noCheckpoints = train(with(args, "--device", "opencl,cpu"));
        assertThat(noCheckpoints.status()).isEqualTo(2);
        assertThat(noCheckpoints.err()).contains("--checkpoint-dir");
        assertThat(train(with(args, "--inject-faults", "lost=soon")).err()).contains("'soon'");
        assertThat(train(with(args, "--inject-faults", "lost=10,device=0.01")).err()).contains("cannot be combined");

        Outcome unknown = train(with(args, "--device", "gpu"));
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("--device gpu").contains("cpu, opencl, opencl:N, vulkan, vulkan:N or best");
        Outcome absent = train(with(args, "--device", "opencl:9"));
        assertThat(absent.status()).isEqualTo(2);
        assertThat(absent.err()).contains("no OpenCL device 9").contains("opencl:0 ").doesNotContain("\tat ");
    }

    @Test
    void theMlpTrainsOnAVulkanDeviceAsOnTheCpu() throws IOException {
        requireDataset();
        if (VulkanContext.list().isEmpty()) {
            if (System.getenv("CI") != null) {
                fail("no Vulkan device: ./zbmd test installs lavapipe (mesa-vulkan-drivers) when it runs as root");
            }
            assumeTrue(false, "no Vulkan device here (apt-get install mesa-vulkan-drivers libvulkan1)");
        }
        String[] args = {"--model", "mlp", "--epochs", "1", "--batch-size", "128", "--train-limit", "4000",
            "--test-limit", "1000", "--json", "--progress", "none"};
        Outcome cpu = train(with(args, "--device", "cpu"));
        assertThat(cpu.status()).as(cpu.err()).isZero();
        Outcome device = train(with(args, "--device", "vulkan"));
        assertThat(device.status()).as(device.err()).isZero();
        assertThat(device.json().get("steps")).isEqualTo(cpu.json().get("steps"));
        // Other kernels, other last bits: the same training to within a few images of a thousand.
        assertThat(Double.parseDouble(device.json().get("accuracy")))
                .isCloseTo(Double.parseDouble(cpu.json().get("accuracy")), offset(0.005))
                .isGreaterThan(0.70);
        Outcome again = train(with(args, "--device", "vulkan"));
        assertThat(again.json().get("fingerprint")).as("bit-reproducible on its device")
                .isEqualTo(device.json().get("fingerprint"));
        Outcome absent = train(with(args, "--device", "vulkan:9"));
        assertThat(absent.status()).isEqualTo(2);
        assertThat(absent.err()).contains("no Vulkan device 9").doesNotContain("\tat ");
    }

    @Test
    void aGptTrainsOnADirectoryOfTextAndReportsItsValidationLossInNatsAndBits() throws IOException {
        Path text = catText();
        Files.write(text.resolve("b"), "caf\u00e9 cr\u00e8me in Latin-1, said the cat. ".repeat(20)
                .getBytes(StandardCharsets.ISO_8859_1));
        String[] common = {"--model", "gpt", "--steps", "40", "--layers", "1", "--lr", "0.003", "--warmup", "5",
            "--json", "--progress", "none"};
        String[] gpt = with(common, "--data", text.toString(), "--heads", "2", "--width", "32", "--context", "16");
        Outcome trained = train(gpt);
        assertThat(trained.status()).as(trained.err()).isZero();
        Map<String, String> result = trained.json();
        assertThat(result.get("model")).isEqualTo("gpt");
        assertThat(result.get("steps")).isEqualTo("40");
        double nats = Double.parseDouble(result.get("validation_loss"));
        assertThat(nats).as("below ln 256, what knowing nothing costs").isLessThan(4.0);
        assertThat(Double.parseDouble(result.get("bits_per_byte"))).isCloseTo(nats / Math.log(2), offset(1e-9));
        assertThat(trained.err()).contains("40 invalid UTF-8 sequences; their bytes train as they are");
        Outcome again = train(gpt);
        assertThat(again.json().get("fingerprint")).as("the same run, the same weights")
                .isEqualTo(result.get("fingerprint"));

        Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        Outcome noText = train(with(common, "--data", empty.toString(), "--heads", "2", "--width", "32"));
        assertThat(noText.status()).isEqualTo(2);
        assertThat(noText.err()).contains("holds no text files").doesNotContain("\tat ");
        Outcome tooLong = train(with(common, "--data", text.toString(), "--context", "100000"));
        assertThat(tooLong.status()).isEqualTo(2);
        assertThat(tooLong.err()).contains("hold no window of 100000").contains("shorter --context");
        Outcome badShape = train(with(common, "--data", text.toString(), "--width", "30", "--heads", "4"));
        assertThat(badShape.status()).isEqualTo(2);
        assertThat(badShape.err()).contains("out of range for gpt").contains("--width 30");
    }

    @Test
    void generateContinuesATextFromAGptsCheckpointAndRefusesAnyOther() throws IOException {
        Path text = catText();
        Path gptRun = dir.resolve("gpt-run");
        Outcome trained = train("--model", "gpt", "--steps", "30", "--layers", "1", "--heads", "2", "--width", "32",
                "--context", "16", "--lr", "0.003", "--warmup", "5", "--json", "--progress", "none", "--data",
                text.toString(), "--checkpoint-dir", gptRun.toString());
        assertThat(trained.status()).as(trained.err()).isZero();

        String[] args = {"--checkpoint", gptRun.toString(), "--prompt", "the cat", "--tokens", "40", "--seed", "3"};
        Outcome made = generate(args);
        assertThat(made.status()).as(made.err()).isZero();
        assertThat(made.out()).startsWith("the cat").endsWith("\n");
        assertThat(made.out().getBytes(StandardCharsets.UTF_8).length).isGreaterThanOrEqualTo(7 + 40 + 1);
        assertThat(generate(args).out()).as("the same seed, the same text").isEqualTo(made.out());
        Outcome json = generate(with(args, "--json"));
        assertThat(json.status()).as(json.err()).isZero();
        Map<String, String> fields = json.json();
        assertThat(fields.get("tokens")).isEqualTo("40");
        assertThat(fields.get("step")).isEqualTo("30");
        assertThat(Double.parseDouble(fields.get("tokens_per_second"))).isPositive();

        Outcome tooLong = generate("--checkpoint", gptRun.toString(), "--prompt", "seventeen bytes!!");
        assertThat(tooLong.status()).isEqualTo(2);
        assertThat(tooLong.err()).contains("the prompt is 17 bytes, longer than the model's context of 16")
                .doesNotContain("\tat ");
        Outcome empty = generate("--checkpoint", gptRun.toString(), "--prompt", "");
        assertThat(empty.status()).isEqualTo(2);
        assertThat(empty.err()).contains("--prompt is empty");
        Outcome hot = generate("--checkpoint", gptRun.toString(), "--temperature", "-1");
        assertThat(hot.status()).isEqualTo(2);
        assertThat(hot.err()).contains("--temperature -1.0");
        Outcome nowhere = generate("--checkpoint", dir.resolve("absent").toString());
        assertThat(nowhere.status()).isEqualTo(2);
        assertThat(nowhere.err()).contains("absent").doesNotContain("Exception");

        requireDataset();
        Path mlpRun = dir.resolve("mlp-run");
        Outcome mlp = train(with(SMALL, "--epochs", "1", "--checkpoint-dir", mlpRun.toString()));
        assertThat(mlp.status()).as(mlp.err()).isZero();
        Outcome wrongModel = generate("--checkpoint", mlpRun.toString(), "--prompt", "the cat");
        assertThat(wrongModel.status()).isEqualTo(2);
        assertThat(wrongModel.err()).contains("is not a GPT's checkpoint").contains("zbmd train --model gpt")
                .doesNotContain("\tat ");
        Outcome evalOfGpt = run(EvalCommand::run, "--checkpoint", gptRun.toString());
        assertThat(evalOfGpt.status()).isEqualTo(2);
        assertThat(evalOfGpt.err()).contains("is a GPT's checkpoint");
    }

    @Test
    void badInputGetsAMessageAndStatusTwoAndChangesNothing() throws IOException {
        Outcome unknown = train("--model", "mlp", "--colour");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("--colour").doesNotContain("\tat ");
        assertThat(train("--model", "rnn").err()).contains("rnn");
        assertThat(train("--epochs", "0").err()).contains("--epochs 0");
        assertThat(train("--lr", "fast").err()).contains("fast");
        Outcome infinite = train("--lr", "Infinity");
        assertThat(infinite.status()).isEqualTo(2);
        assertThat(infinite.err()).contains("--lr Infinity").contains("finite");
        Outcome port = train("--metrics-port", "99999");
        assertThat(port.status()).isEqualTo(2);
        assertThat(port.err()).contains("--metrics-port 99999 is not a TCP port").doesNotContain("Exception");
        assertThat(train("--inject-faults", "crash=lots").err()).contains("'lots' is not a number");

        Outcome missing = train("--data", dir.resolve("nothing").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains(dir.resolve("nothing").toString())
                .contains("apt-get install dataset-fashion-mnist");

        requireDataset();
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        Outcome notADirectory = train(with(SMALL, "--checkpoint-dir", file.resolve("ck").toString()));
        assertThat(notADirectory.status()).as(notADirectory.err()).isEqualTo(2);
        assertThat(notADirectory.err()).contains("checkpoint directory").doesNotContain("\tat ");

        Path run = dir.resolve("run");
        assertThat(train(with(SMALL, "--epochs", "1", "--checkpoint-dir", run.toString())).status()).isZero();
        Map<Path, byte[]> before = contents(run);
        Outcome otherModel = train("cnn", "--epochs", "1", "--train-limit", "2000", "--test-limit", "500",
                "--checkpoint-dir", run.toString(), "--progress", "none");
        assertThat(otherModel.status()).isEqualTo(2);
        assertThat(otherModel.err()).contains("does not fit the model").contains("0.weight").doesNotContain("\tat ");
        Outcome otherRun = train(with(SMALL, "--epochs", "1", "--seed", "7", "--checkpoint-dir", run.toString()));
        assertThat(otherRun.status()).isEqualTo(2);
        assertThat(otherRun.err()).contains("another run").contains("seed=1").contains("seed=7");
        Map<Path, byte[]> after = contents(run);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach((f, bytes) -> assertThat(after.get(f)).as(f.toString()).isEqualTo(bytes));
    }

    @Test
    void evalMeasuresTheNewestCheckpointAndInspectListsAFile() throws IOException {
        requireDataset();
        Path run = dir.resolve("run");
        Outcome trained = train(with(SMALL, "--epochs", "1", "--checkpoint-dir", run.toString()));
        assertThat(trained.status()).as(trained.err()).isZero();
        Map<String, String> result = trained.json();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = EvalCommand.run(new String[] {"--checkpoint", run.toString(), "--test-limit", "500", "--json"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
        Map<String, String> eval = parse(out.toString(StandardCharsets.UTF_8).strip());
        assertThat(eval.get("accuracy")).isEqualTo(result.get("accuracy"));
        assertThat(eval.get("model")).isEqualTo("mlp");
        assertThat(eval.get("step")).isEqualTo(result.get("steps"));

        out.reset();
        status = InspectCommand.run(new String[] {result.get("last_checkpoint")},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("checksums verified").contains("step           32")
                .contains("run            model=mlp").contains("task         loss=cross_entropy(label_smoothing=0.1)")
                .contains("compute      cpu, 2 threads, GEMM zbmd Java SGEMM").contains("1.weight")
                .contains("[256, 784]").contains("optimizer tensors")
                .contains("0.exp_avg_sq").contains("crc32c ");

        // A damaged file: inspect and eval name it and exit 2; eval of the directory passes over it.
        Path file = Path.of(result.get("last_checkpoint"));
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 3] ^= 0x10;
        Path damaged = Files.write(dir.resolve("damaged.safetensors"), bytes);
        err.reset();
        assertThat(InspectCommand.run(new String[] {damaged.toString()}, new PrintStream(out, true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(damaged.toString()).doesNotContain("\tat ");
        err.reset();
        assertThat(EvalCommand.run(new String[] {"--checkpoint", damaged.toString()}, new PrintStream(out, true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(damaged.toString());
    }

    /**
     * The run's newest checkpoint rewritten, checksums and all, with some model tensors replaced
     * and, where not null, another random state and data position; @return the new directory
     */
    private Path rewritten(Path run, String name, Map<String, TensorData> replaced, String rngState,
            String dataPosition) throws IOException {
        Path target = dir.resolve(name);
        try (Arena arena = Arena.ofConfined(); Recovery recovery = CheckpointStore.open(run, 10).latestValid()) {
            Checkpoint original = CheckpointFile.read(recovery.file().orElseThrow(), arena);
            Map<String, TensorData> model = new java.util.LinkedHashMap<>(original.model());
            model.putAll(replaced);
            CheckpointStore.open(target, 3).write(Checkpoint.builder(original.step()).config(original.config())
                    .rngState(rngState != null ? rngState : original.rngState())
                    .dataPosition(dataPosition != null ? dataPosition : original.dataPosition())
                    .modelTensors(model).optimizerTensors(original.optimizerState()).build());
        }
        return target;
    }

    @Test
    void checkpointsThatPassTheirChecksumsButCannotBeUsedAreRefusedWithStatusTwo() throws IOException,
            InterruptedException {
        requireDataset();
        Path run = dir.resolve("run");
        String[] args = with(SMALL, "--epochs", "1", "--checkpoint-dir", run.toString());
        Outcome trained = train(args);
        assertThat(trained.status()).as(trained.err()).isZero();

        // Run again when finished: nothing to train, and no NaN loss in the result.
        Outcome again = train(args);
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.out()).doesNotContain("NaN");
        assertThat(again.json().get("resumed_from_step")).isEqualTo(again.json().get("steps"));
        assertThat(TrainCommand.summary(TrainCommand.Model.mlp, new TrainingResult(0.8, 0.5, Double.NaN, 32, 32, false, java.time.Duration.ZERO,
                Map.of(), 0, Optional.empty(), List.of(), 1, 0, "f", new TrainingResult.Timings(java.time.Duration.ZERO,
                0, java.time.Duration.ZERO, java.time.Duration.ZERO, 0, java.time.Duration.ZERO,
                java.time.Duration.ZERO, java.time.Duration.ZERO)))).contains("the run had already finished")
                .doesNotContain("NaN");

        // NaN weights: eval and a resume refuse them.
        float[] weights = new float[256 * 784];
        weights[17] = Float.NaN;
        Path nan = rewritten(run, "nan", Map.of("1.weight", TensorData.ofFloats(weights, 256, 784)), null, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(EvalCommand.run(new String[] {"--checkpoint", nan.toString(), "--test-limit", "100"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("not finite (NaN at 1.weight[17])")
                .doesNotContain("Exception");
        Map<Path, byte[]> before = contents(nan);
        Outcome resumeNan = train(with(SMALL, "--epochs", "1", "--checkpoint-dir", nan.toString()));
        assertThat(resumeNan.status()).isEqualTo(2);
        assertThat(resumeNan.err()).contains("not finite (NaN at 1.weight[17])").doesNotContain("Exception");
        assertThat(contents(nan)).containsOnlyKeys(before.keySet());

        // A random state or data position that does not fit the run.
        for (String[] broken : new String[][] {{"dice:7", null}, {null, "0:999999"}}) {
            Path bad = rewritten(run, "bad-" + (broken[0] != null ? "rng" : "position"), Map.of(), broken[0],
                    broken[1]);
            Outcome resumed = train(with(SMALL, "--epochs", "1", "--checkpoint-dir", bad.toString()));
            assertThat(resumed.status()).as(resumed.err()).isEqualTo(2);
            assertThat(resumed.err()).contains("cannot be resumed").doesNotContain("Exception").doesNotContain("\tat ");
        }

        // A FIFO where a checkpoint should be: refused at once, not waited on.
        Path fifo = dir.resolve("fifo.safetensors");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        err.reset();
        assertThat(EvalCommand.run(new String[] {"--checkpoint", fifo.toString()}, new PrintStream(out, true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("is not a regular file");
    }

    private static Map<Path, byte[]> contents(Path directory) throws IOException {
        Map<Path, byte[]> contents = new HashMap<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path f : files.toList()) {
                contents.put(f, Files.readAllBytes(f));
            }
        }
        return contents;
    }
}
