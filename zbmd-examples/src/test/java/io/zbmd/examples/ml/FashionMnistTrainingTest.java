package io.zbmd.examples.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zbmd.examples.ml.FashionMnistTraining.EpochResult;
import io.zbmd.examples.ml.FashionMnistTraining.Model;
import io.zbmd.examples.ml.FashionMnistTraining.Options;
import io.zbmd.ml.data.FashionMnist;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real data in CI: the MLP trains on a subset of Fashion-MNIST and must classify the test
 * images well, the same way every time. The full-size runs are {@code ./zbmd train mlp|cnn}.
 */
class FashionMnistTrainingTest {

    private static void requireDataset() {
        boolean present = Files.exists(FashionMnist.DEFAULT_DIRECTORY.resolve("train-images-idx3-ubyte.gz"));
        if (!present && System.getenv("CI") != null) {
            fail("Fashion-MNIST is not in " + FashionMnist.DEFAULT_DIRECTORY
                    + ": ./zbmd test installs Debian's dataset-fashion-mnist when it runs as root");
        }
        assumeTrue(present, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }

    private static List<EpochResult> train(Options options) throws IOException {
        return FashionMnistTraining.run(options, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8));
    }

    @Test
    void mlpLearnsASubsetAndRepeatsItselfExactly() throws IOException {
        requireDataset();
        Options options = new Options(Model.MLP, FashionMnist.DEFAULT_DIRECTORY, 3, 64, 1e-3, 2, 1, 6_000, 2_000);
        List<EpochResult> first = train(options);
        assertThat(first).hasSize(3);
        assertThat(first.getLast().trainLoss()).isLessThan(first.getFirst().trainLoss());
        // Ten classes: chance is 0.10; this subset and schedule reach about 0.84.
        assertThat(first.getLast().testAccuracy()).isGreaterThan(0.80);
        List<EpochResult> second = train(options);
        for (int e = 0; e < first.size(); e++) {
            assertThat(second.get(e).trainLoss()).as("epoch %d loss", e + 1).isEqualTo(first.get(e).trainLoss());
            assertThat(second.get(e).testAccuracy()).as("epoch %d accuracy", e + 1)
                    .isEqualTo(first.get(e).testAccuracy());
        }
    }

    @Test
    void cnnTrainsOnAFewBatches() throws IOException {
        requireDataset();
        List<EpochResult> results = train(new Options(Model.CNN, FashionMnist.DEFAULT_DIRECTORY, 1, 64, 1e-3, 2, 1,
                1_024, 500));
        // 16 steps reach about 0.70: far from trained, but well past chance.
        assertThat(results.getFirst().testAccuracy()).isGreaterThan(0.55);
    }

    @Test
    void aMissingDatasetSaysWhereAndHow(@TempDir Path empty) throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = TrainCommand.run(new String[] {"mlp", "--data", empty.toString()},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(empty.toString())
                .contains("apt-get install dataset-fashion-mnist");
    }

    @Test
    void badCommandLinesNameTheArgument() {
        assertThatThrownBy(() -> TrainCommand.parse(new String[] {"rnn"})).hasMessageContaining("'rnn'");
        assertThatThrownBy(() -> TrainCommand.parse(new String[] {"mlp", "--epochs", "0"}))
                .hasMessageContaining("--epochs").hasMessageContaining("0");
        assertThatThrownBy(() -> TrainCommand.parse(new String[] {"mlp", "--lr", "fast"}))
                .hasMessageContaining("'fast'");
        assertThatThrownBy(() -> TrainCommand.parse(new String[] {"mlp", "--epochs"}))
                .hasMessageContaining("needs a value");
        assertThatThrownBy(() -> TrainCommand.parse(new String[] {"mlp", "--colour", "red"}))
                .hasMessageContaining("'--colour'");
        Options options = TrainCommand.parse(new String[] {"CNN", "--epochs", "3", "--threads", "1", "--seed", "-5"});
        assertThat(options.model()).isEqualTo(Model.CNN);
        assertThat(options.epochs()).isEqualTo(3);
        assertThat(options.threads()).isEqualTo(1);
        assertThat(options.seed()).isEqualTo(-5);
        assertThat(options.batchSize()).isEqualTo(64);
        assertThat(options.learningRate()).isEqualTo(2e-3);
        Options mlp = TrainCommand.parse(new String[] {"mlp"});
        assertThat(mlp.batchSize()).isEqualTo(128);
        assertThat(mlp.learningRate()).isEqualTo(1e-3);
    }
}
