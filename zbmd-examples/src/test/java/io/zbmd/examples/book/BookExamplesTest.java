package io.zbmd.examples.book;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zbmd.gpu.opencl.OpenClDevices;
import io.zbmd.gpu.vulkan.VulkanContext;
import io.zbmd.ml.checkpoint.CheckpointStore;
import io.zbmd.ml.data.FashionMnist;
import io.zbmd.ml.train.TrainingResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The book's training examples, on a subset of Fashion-MNIST. */
class BookExamplesTest {
    @TempDir
    Path dir;

    private static void requireDataset() {
        boolean present = Files.exists(FashionMnist.DEFAULT_DIRECTORY.resolve("train-images-idx3-ubyte.gz"));
        if (!present && System.getenv("CI") != null) {
            fail("Fashion-MNIST is not in " + FashionMnist.DEFAULT_DIRECTORY);
        }
        assumeTrue(present, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }

    private final ByteArrayOutputStream text = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8);

    @Test
    void vectorAdditionSurvivesADeviceResetOnEveryDevicePresent() {
        List<String> devices = new ArrayList<>(List.of("cpu"));
        if (!OpenClDevices.list().isEmpty()) {
            devices.add("opencl");
        }
        if (!VulkanContext.list().isEmpty()) {
            devices.add("vulkan");
        }
        for (String device : devices) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            float[] first = VectorAddition.run(new PrintStream(bytes, true, StandardCharsets.UTF_8), device, 100_000);
            assertThat(first).containsExactly(1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f);
            String out = bytes.toString(StandardCharsets.UTF_8);
            assertThat(out).as(device).contains(device.equals("cpu") ? "2 threads" : "Using device: " + device + ":0")
                    .contains("the device actor restarts")
                    .contains("Result: 1.00 2.00 3.00");
        }
        if (System.getenv("CI") != null) {
            assertThat(OpenClDevices.list()).as("CI installs PoCL: the example runs on OpenCL too").isNotEmpty();
            assertThat(VulkanContext.list()).as("CI installs lavapipe: the example runs on Vulkan too").isNotEmpty();
        }
    }

    @Test
    void simpleTrainingReportsAccuracyTimeAndRecoveriesAndResumesFromItsCheckpoints() throws IOException {
        requireDataset();
        TrainingResult first = SimpleTraining.run(out, FashionMnist.DEFAULT_DIRECTORY, dir, 1, 3200);
        assertThat(first.testAccuracy()).isGreaterThan(0.6);
        assertThat(text.toString(StandardCharsets.UTF_8)).contains("Training completed!").contains("Final accuracy: ")
                .contains("Failures recovered: 0");
        assertThat(dir.resolve(CheckpointStore.fileName(100))).exists();
        TrainingResult again = SimpleTraining.run(out, FashionMnist.DEFAULT_DIRECTORY, dir, 1, 3200);
        assertThat(again.resumedFromStep()).isEqualTo(100);
        assertThat(again.fingerprint()).isEqualTo(first.fingerprint());
    }

    @Test
    void aRegressionWithItsOwnLossLearnsTheCurveAndResumesFromItsCheckpoints() throws IOException {
        TrainingResult first = RegressionWithCustomLoss.run(out, dir, 80);
        double baseline = RegressionWithCustomLoss.lossOfZero(RegressionWithCustomLoss.curve(128, 4));
        assertThat(first.testLoss()).as("validation loss").isLessThan(0.03 * baseline);
        assertThat(first.steps()).isEqualTo(80 * 8);
        assertThat(text.toString(StandardCharsets.UTF_8)).contains("validation loss ").contains("started fresh");
        Files.delete(dir.resolve(CheckpointStore.fileName(640)));
        Files.delete(dir.resolve(CheckpointStore.fileName(600)));
        TrainingResult again = RegressionWithCustomLoss.run(out, dir, 80);
        assertThat(again.resumedFromStep()).isEqualTo(550);
        assertThat(again.fingerprint()).isEqualTo(first.fingerprint());
    }

    @Test
    void customLoopAccumulatesGradientsCheckpointsAndResumes() throws IOException {
        requireDataset();
        double accuracy = CustomTrainingLoop.run(out, FashionMnist.DEFAULT_DIRECTORY, dir, 1, 12800);
        assertThat(accuracy).isGreaterThan(0.6);
        assertThat(text.toString(StandardCharsets.UTF_8)).contains("step   100").contains("final checkpoint")
                .contains(CheckpointStore.fileName(100));
        text.reset();
        double again = CustomTrainingLoop.run(out, FashionMnist.DEFAULT_DIRECTORY, dir, 1, 12800);
        assertThat(text.toString(StandardCharsets.UTF_8)).contains("resumed at step 100");
        assertThat(again).isEqualTo(accuracy);
    }

    @Test
    void trainingUnderTheBooksFaultsEndsWithTheCleanRunsWeights() throws IOException {
        requireDataset();
        assertThat(TrainingUnderFaults.run(out, FashionMnist.DEFAULT_DIRECTORY, 1, 6400)).isTrue();
        assertThat(text.toString(StandardCharsets.UTF_8)).contains("same weights, bit for bit").contains("crash=");
    }
}
