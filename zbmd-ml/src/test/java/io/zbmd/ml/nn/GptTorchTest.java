package io.zbmd.ml.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.Weights;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPT checked step for step against PyTorch itself, llm.c style (torch 2.13 from the CPU
 * wheel, where it installs; {@code torch_gpt.py} builds nanoGPT's model in plain torch): from
 * zbmd's initial weights and one batch, the logits, the loss, every parameter's gradient, and
 * every parameter after ten AdamW steps, each to the tolerance written beside it
 * ({@code |zbmd - torch| <= atol + rtol·|torch|}; float32 sums in another order, and zbmd's
 * GELU's erf within 1.5e-7 of the exact one). Measured here: logits within 1.2e-7, the loss
 * equal, gradients within 9e-8, parameters after ten steps within 3.8e-6 (a bias whose
 * gradients are near zero, where Adam's normalisation magnifies the last bits).
 */
class GptTorchTest {
    private static final String VENV = ".cache/zbmd/torch-venv";
    private static final Gpt.Config CONFIG = new Gpt.Config(256, 16, 2, 2, 32, 0f, true);
    private static final int BATCH = 4;
    private static final double LR = 1e-3;

    @TempDir
    Path dir;

    private static Path python() {
        String configured = System.getProperty("zbmd.torch.python");
        Path candidate = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), VENV, "bin", "python3");
        String missing = "no Python with torch at -Dzbmd.torch.python or ~/" + VENV + " (./zbmd test installs it from"
                + " the CPU wheel in /opt/wheels when there is one)";
        if (!Files.isExecutable(candidate) && "true".equals(System.getenv("CI"))) {
            fail(missing);
        }
        assumeTrue(Files.isExecutable(candidate), missing);
        return candidate;
    }

    @Test
    void logitsLossGradientsAndTenAdamWStepsAgreeWithPyTorch() throws IOException, InterruptedException {
        Path python = python();
        int time = CONFIG.context();
        SplittableRandom random = new SplittableRandom(11);
        int[] inputs = random.ints(BATCH * time, 0, 256).toArray();
        int[] targets = random.ints(BATCH * time, 0, 256).toArray();
        try (CpuBackend backend = CpuBackend.create(CpuConfig.defaults().withThreads(1)
                .withMemoryBudgetBytes(256L << 20)); TensorScope scope = TensorScope.create(backend)) {
            Gpt model;
            try (var _ = scope.enter()) {
                model = new Gpt(CONFIG, new SplittableRandom(5));
            }
            Weights.save(model.stateDict(), dir.resolve("init.safetensors"));
            Files.writeString(dir.resolve("batch.json"), "{\"shape\": [" + BATCH + ", " + time + "], \"lr\": " + LR
                    + ", \"inputs\": " + Arrays.toString(inputs) + ", \"targets\": " + Arrays.toString(targets) + "}");
            runTorch(python);

            try (TensorScope step = TensorScope.open(backend)) {
                Tensor logits = model.forward(Tensors.ofInts(inputs, BATCH, time));
                Tensor loss = F.crossEntropy(logits.reshape(BATCH * time, 256), Tensors.ofInts(targets, BATCH * time),
                        0f);
                agree("logits", logits.toFloatArray(), torch("logits"), 1e-5, 1e-6);
                agree("loss", new float[] {loss.item()}, torch("loss"), 1e-6, 0);
                loss.backward();
                for (Map.Entry<String, Tensor> parameter : model.namedParameters().entrySet()) {
                    agree("gradient of " + parameter.getKey(), parameter.getValue().grad().toFloatArray(),
                            torch("grad." + parameter.getKey()), 1e-4, 2e-7);
                }
            }
            try (Adam adam = Adam.adamW(model.parameters(), LR)) {
                for (int i = 0; i < 10; i++) {
                    try (TensorScope step = TensorScope.open(backend)) {
                        Tensor loss = F.crossEntropy(model.forward(Tensors.ofInts(inputs, BATCH, time))
                                .reshape(BATCH * time, 256), Tensors.ofInts(targets, BATCH * time), 0f);
                        adam.zeroGrad();
                        loss.backward();
                        adam.step();
                    }
                }
            }
            for (Map.Entry<String, Tensor> parameter : model.namedParameters().entrySet()) {
                agree(parameter.getKey() + " after ten AdamW steps", parameter.getValue().toFloatArray(),
                        torch("after." + parameter.getKey()), 1e-4, 2e-5);
            }
        }
    }

    private void runTorch(Path python) throws IOException, InterruptedException {
        Path script = dir.resolve("torch_gpt.py");
        try (InputStream source = GptTorchTest.class.getResourceAsStream("torch_gpt.py")) {
            Files.copy(source, script);
        }
        List<String> command = List.of(python.toString(), script.toString(), dir.toString(),
                Integer.toString(CONFIG.layers()), Integer.toString(CONFIG.heads()), Integer.toString(CONFIG.width()),
                Integer.toString(CONFIG.context()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(300, TimeUnit.SECONDS)).as("torch exited: %s", output).isTrue();
        assertThat(child.exitValue()).as("torch's output: %s", output).isZero();
    }

    private float[] torch(String name) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("torch").resolve(name + ".bin")))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    private static void agree(String what, float[] got, float[] want, double rtol, double atol) {
        assertThat(got.length).as("%s: elements", what).isEqualTo(want.length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < got.length; i++) {
            double excess = Math.abs(got[i] - want[i]) - (atol + rtol * Math.abs(want[i]));
            if (at < 0 || excess > worst) {
                worst = excess;
                at = i;
            }
        }
        assertThat(worst).as("%s: element %d is %s, PyTorch's %s (rtol %s, atol %s)", what, at, got[at], want[at],
                rtol, atol).isLessThanOrEqualTo(0);
    }
}
