package io.zbmd.ml.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The byte-level text corpus: its split, what it skips and counts, its errors, and the fortunes corpus. */
class TextCorpusTest {
    @TempDir
    Path dir;

    @Test
    void eachFileGivesItsFirstNinetyPercentToTrainingAndItsLastTenToValidationInNameOrder() throws IOException {
        Files.writeString(dir.resolve("b"), "0123456789abcdefghij"); // 20 bytes: 18 and 2
        Files.writeString(dir.resolve("a"), "ABCDEFGHIJ");           // 10 bytes: 9 and 1
        TextCorpus corpus = TextCorpus.load(dir);
        assertThat(corpus.files()).containsExactly(dir.resolve("a"), dir.resolve("b"));
        assertThat(corpus.trainingBytes()).isEqualTo(27);
        assertThat(corpus.validationBytes()).isEqualTo(3);
        TokenDataset train = corpus.training(26);
        assertThat(train.size()).isEqualTo(1);
        assertThat(ints(train.inputs(new int[] {0}))).containsExactly(bytes("ABCDEFGHI0123456789abcdefg"));
        assertThat(ints(train.targets(new int[] {0}))).containsExactly(bytes("BCDEFGHI0123456789abcdefgh"));
        TokenDataset validation = corpus.validation(2);
        assertThat(ints(validation.inputs(new int[] {0}))).containsExactly(bytes("Ji"));
        assertThat(ints(validation.targets(new int[] {0}))).containsExactly(bytes("ij"));
    }

    @Test
    void linksAndBinaryFilesAreSkippedAndInvalidUtf8IsCountedButKept() throws IOException {
        Files.writeString(dir.resolve("text"), "héllo wörld, twenty bytes", StandardCharsets.UTF_8);
        Files.createSymbolicLink(dir.resolve("text.u8"), dir.resolve("text"));
        Files.write(dir.resolve("text.dat"), new byte[] {0, 0, 0, 2, 0, 0, 0, 9});
        byte[] latin1 = "caf\u00e9 cr\u00e8me, in Latin-1".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(dir.resolve("latin1"), latin1);
        TextCorpus corpus = TextCorpus.load(dir);
        assertThat(corpus.files()).containsExactly(dir.resolve("latin1"), dir.resolve("text"));
        assertThat(corpus.skippedEntries()).isEqualTo(2);
        assertThat(corpus.invalidUtf8Sequences()).as("é and è alone are not UTF-8").isEqualTo(2);
        assertThat(corpus.trainingBytes() + corpus.validationBytes())
                .isEqualTo(latin1.length + "héllo wörld, twenty bytes".getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void aMissingDirectoryNoTextAndTooLittleTextAreClearErrors() throws IOException {
        assertThatThrownBy(() -> TextCorpus.load(dir.resolve("absent"))).isInstanceOf(DatasetNotFoundException.class)
                .hasMessageContaining("absent").hasMessageContaining("apt-get install fortunes");
        Files.write(dir.resolve("index.dat"), new byte[] {1, 0, 2});
        assertThatThrownBy(() -> TextCorpus.load(dir)).isInstanceOf(DatasetNotFoundException.class)
                .hasMessageContaining("holds no text files (1 skipped");
        Files.writeString(dir.resolve("short"), "a"); // nothing left to train on
        assertThatThrownBy(() -> TextCorpus.load(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too short to split").hasMessageContaining("leave 0 to train and 1 to validate");
        Files.writeString(dir.resolve("short"), "abcdefghijklmnopqrstuvwxyz");
        TextCorpus corpus = TextCorpus.load(dir);
        assertThatThrownBy(() -> corpus.training(64)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hold no window of 64");
    }

    @Test
    void sampledTrainingWindowsAreTheSameForTheSameSeedAndStayInTheText() throws IOException {
        Files.writeString(dir.resolve("text"), "abcdefghijklmnopqrstuvwxyz".repeat(4));
        TextCorpus corpus = TextCorpus.load(dir);
        Dataset first = corpus.sampledTraining(8, 50, 7);
        Dataset again = corpus.sampledTraining(8, 50, 7);
        Dataset other = corpus.sampledTraining(8, 50, 8);
        int[] all = IntStream.range(0, 50).toArray();
        assertThat(first.size()).isEqualTo(50);
        assertThat(ints(first.inputs(all))).isEqualTo(ints(again.inputs(all))).isNotEqualTo(ints(other.inputs(all)));
        int[] inputs = ints(first.inputs(all));
        int[] targets = ints(first.targets(all));
        for (int i = 0; i < inputs.length; i++) {
            assertThat(targets[i]).as("each target is the next letter").isEqualTo(inputs[i] == 'z' ? 'a' : inputs[i] + 1);
        }
        assertThatThrownBy(() -> corpus.sampledTraining(8, 0, 7)).hasMessageContaining("1 or more windows");
    }

    @Test
    void theFortunesCorpusSplitsTheSameEveryTime() throws IOException {
        Path fortunes = Path.of(TextCorpus.DEFAULT_DIRECTORY);
        if (!Files.isDirectory(fortunes) && System.getenv("CI") != null) {
            throw new AssertionError("./zbmd test installs Debian's fortunes, but " + fortunes + " is not there");
        }
        assumeTrue(Files.isDirectory(fortunes), "Debian's fortunes is not installed (apt-get install fortunes)");
        TextCorpus first = TextCorpus.load(fortunes);
        TextCorpus again = TextCorpus.load(fortunes);
        assertThat(first.trainingBytes() + first.validationBytes()).isGreaterThan(1_000_000);
        assertThat((double) first.validationBytes() / (first.trainingBytes() + first.validationBytes()))
                .isBetween(0.099, 0.101);
        assertThat(first.files()).isEqualTo(again.files()).noneMatch(file -> file.toString().endsWith(".dat"))
                .noneMatch(file -> file.toString().endsWith(".u8"));
        int[] window = {12_345};
        assertThat(ints(first.training(128).inputs(window))).isEqualTo(ints(again.training(128).inputs(window)));
    }

    private static int[] ints(Column column) {
        return ((Column.Ints) column).values();
    }

    private static int[] bytes(String text) {
        return Arrays.stream(text.chars().toArray()).toArray();
    }
}
