package io.zbmd.examples.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zbmd.ml.data.FashionMnist;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights both ways with PyTorch itself (torch 2.13 from the CPU wheel, where it installs):
 * a PyTorch MLP trained briefly and its state_dict written as safetensors, F32, F16 and BF16,
 * evaluate in {@code zbmd eval --weights} to PyTorch's own accuracy, and start a
 * {@code zbmd train --init-from}; a PyTorch CNN's state_dict, {@code num_batches_tracked}
 * counters and all, evaluates too; and weights zbmd writes with {@code --save-weights} load
 * into the PyTorch modules with {@code load_state_dict(strict=True)} and give zbmd's accuracy.
 */
class PyTorchWeightsTest {
    private static final String VENV = ".cache/zbmd/torch-venv";

    @TempDir
    Path dir;

    private Path python;
    private Path script;

    @BeforeEach
    void requireTorchAndData() throws IOException {
        boolean data = Files.exists(FashionMnist.DEFAULT_DIRECTORY.resolve("t10k-images-idx3-ubyte.gz"));
        String configured = System.getProperty("zbmd.torch.python");
        Path candidate = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), VENV, "bin", "python3");
        boolean torch = Files.isExecutable(candidate);
        String missing = !data ? "Fashion-MNIST is not in " + FashionMnist.DEFAULT_DIRECTORY
                : "no Python with torch at -Dzbmd.torch.python or ~/" + VENV + " (./zbmd test installs it from the"
                        + " CPU wheel in /opt/wheels when there is one)";
        if ((!data || !torch) && "true".equals(System.getenv("CI"))) {
            fail(missing);
        }
        assumeTrue(data && torch, missing);
        python = candidate;
        script = dir.resolve("torch_weights.py");
        try (InputStream source = PyTorchWeightsTest.class.getResourceAsStream("torch_weights.py")) {
            Files.copy(source, script);
        }
    }

    private Map<String, String> torch(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python.toString(), script.toString()));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(300, TimeUnit.SECONDS)).as("torch exited").isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        String[] lines = output.strip().split("\n");
        return TrainCommandTest.parse(lines[lines.length - 1]);
    }

    private record Outcome(int status, String out, String err) {}

    private static Outcome eval(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = EvalCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static double accuracy(Outcome outcome) {
        assertThat(outcome.status()).as(outcome.err()).isZero();
        return Double.parseDouble(TrainCommandTest.parse(outcome.out().strip()).get("accuracy"));
    }

    private static Optional<String> fileOf(Path directory, String name) {
        return Files.exists(directory.resolve(name)) ? Optional.of(directory.resolve(name).toString())
                : Optional.empty();
    }

    @Test
    void pyTorchStateDictsEvaluateToPyTorchsAccuracyAndZbmdsWeightsLoadIntoPyTorch()
            throws IOException, InterruptedException {
        Map<String, String> made = torch("make", FashionMnist.DEFAULT_DIRECTORY.toString(), dir.toString());
        double torchMlp = Double.parseDouble(made.get("mlp"));
        assertThat(torchMlp).as("PyTorch's MLP after its short training").isGreaterThan(0.6);

        // PyTorch -> zbmd: F32 gives PyTorch's accuracy (an argmax may flip on a last-bit difference).
        String f32 = fileOf(dir, "mlp-f32.safetensors").orElseThrow();
        double zbmdMlp = accuracy(eval("--model", "mlp", "--weights", f32, "--test-limit", "1000", "--json"));
        assertThat(zbmdMlp).isCloseTo(torchMlp, org.assertj.core.data.Offset.offset(0.002));
        // F16 and BF16 are widened exactly: F16 gives PyTorch's F16 model's accuracy, BF16 about it.
        double zbmdF16 = accuracy(eval("--model", "mlp", "--weights", fileOf(dir, "mlp-f16.safetensors")
                .orElseThrow(), "--test-limit", "1000", "--json"));
        assertThat(zbmdF16).isCloseTo(Double.parseDouble(made.get("mlp_f16")), org.assertj.core.data.Offset.offset(0.002));
        double zbmdBf16 = accuracy(eval("--model", "mlp", "--weights", fileOf(dir, "mlp-bf16.safetensors")
                .orElseThrow(), "--test-limit", "1000", "--json"));
        assertThat(zbmdBf16).isCloseTo(torchMlp, org.assertj.core.data.Offset.offset(0.03));
        // The CNN's state_dict has num_batches_tracked counters (I64), which zbmd passes over.
        double zbmdCnn = accuracy(eval("--model", "cnn", "--weights", fileOf(dir, "cnn-f32.safetensors")
                .orElseThrow(), "--test-limit", "1000", "--json"));
        assertThat(zbmdCnn).isCloseTo(Double.parseDouble(made.get("cnn")), org.assertj.core.data.Offset.offset(0.002));

        // zbmd -> PyTorch: the weights alone, loaded strictly into the PyTorch modules.
        Path exported = dir.resolve("zbmd-mlp.safetensors");
        accuracy(eval("--model", "mlp", "--weights", f32, "--test-limit", "1000", "--json", "--save-weights",
                exported.toString()));
        assertThat(Double.parseDouble(torch("check", FashionMnist.DEFAULT_DIRECTORY.toString(), "mlp",
                exported.toString()).get("accuracy"))).isCloseTo(zbmdMlp, org.assertj.core.data.Offset.offset(0.002));
        Path exportedCnn = dir.resolve("zbmd-cnn.safetensors");
        accuracy(eval("--model", "cnn", "--weights", fileOf(dir, "cnn-f32.safetensors").orElseThrow(),
                "--test-limit", "1000", "--json", "--save-weights", exportedCnn.toString()));
        assertThat(Double.parseDouble(torch("check", FashionMnist.DEFAULT_DIRECTORY.toString(), "cnn",
                exportedCnn.toString()).get("accuracy"))).isCloseTo(zbmdCnn, org.assertj.core.data.Offset.offset(0.002));

        // A training run starts from PyTorch's weights (F16 too), and records them as its parent.
        for (String file : List.of(f32, fileOf(dir, "mlp-f16.safetensors").orElseThrow())) {
            Path run = dir.resolve("run-" + Path.of(file).getFileName());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = TrainCommand.run(new String[] {"--model", "mlp", "--init-from", file, "--epochs", "1",
                "--train-limit", "640", "--test-limit", "1000", "--json", "--progress", "none", "--gemm", "java",
                "--checkpoint-dir", run.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
            double trained = Double.parseDouble(TrainCommandTest.parse(out.toString(StandardCharsets.UTF_8).strip())
                    .get("accuracy"));
            // Ten steps from PyTorch's weights stay far above the 0.10 of a fresh start's first steps.
            assertThat(trained).isGreaterThan(torchMlp - 0.1);
            ByteArrayOutputStream inspected = new ByteArrayOutputStream();
            InspectCommand.run(new String[] {TrainCommandTest.parse(out.toString(StandardCharsets.UTF_8).strip())
                    .get("last_checkpoint")}, new PrintStream(inspected, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(inspected.toString(StandardCharsets.UTF_8)).contains("parent       weights "
                    + Path.of(file).getFileName() + "@sha256:");
        }
    }

    @Test
    void weightsOfAnotherModelAreRefusedWithEveryDifferenceNamed() throws IOException, InterruptedException {
        torch("make", FashionMnist.DEFAULT_DIRECTORY.toString(), dir.toString());
        Outcome wrong = eval("--model", "cnn", "--weights", dir.resolve("mlp-f32.safetensors").toString(),
                "--test-limit", "100");
        assertThat(wrong.status()).isEqualTo(2);
        assertThat(wrong.err()).contains("does not fit the model").contains("1.weight").contains("[256, 784]")
                .contains("0.weight").doesNotContain("Exception");
        Outcome noModel = eval("--weights", dir.resolve("mlp-f32.safetensors").toString());
        assertThat(noModel.status()).isEqualTo(2);
        assertThat(noModel.err()).contains("needs --model mlp or --model cnn");
    }
}
