package io.zbmd.ml.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store keeps the newest K checkpoints, never exposes a partial one, falls back past a
 * damaged newest one and says why, ignores and cleans up a crashed write's leftovers, and
 * leaves what it has alone when a write fails.
 */
class CheckpointStoreTest {
    @TempDir
    Path directory;

    private static Checkpoint checkpointOf(long step) {
        SplittableRandom random = new SplittableRandom(step);
        float[] weights = new float[12];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) random.nextGaussian();
        }
        return Checkpoint.builder(step)
                .config("hidden=4")
                .rngState("draws=" + step)
                .dataPosition("sample=" + 32 * step)
                .modelTensor("0.weight", TensorData.ofFloats(weights, 4, 3))
                .modelTensor("0.bias", TensorData.ofFloats(new float[] {step, -step, 0, 1}, 4))
                .optimizerTensor("0.exp_avg", TensorData.ofFloats(new float[12], 4, 3))
                .build();
    }

    private static List<String> names(List<Path> files) {
        return files.stream().map(file -> file.getFileName().toString()).toList();
    }

    /** Every file's bytes, to show that a failed write changed none. */
    private Map<String, byte[]> snapshot() throws IOException {
        Map<String, byte[]> contents = new HashMap<>();
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                if (Files.isRegularFile(file)) {
                    contents.put(file.getFileName().toString(), Files.readAllBytes(file));
                }
            }
        }
        return contents;
    }

    @Test
    void aWrittenCheckpointIsReadBackAndNoTemporaryFileRemains() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 3);
        Checkpoint written = checkpointOf(1234);

        Path file = store.write(written);

        assertThat(file).isEqualTo(directory.resolve("step-000000001234.safetensors"));
        try (var listing = Files.list(directory)) {
            assertThat(listing.map(p -> p.getFileName().toString()).toList())
                    .containsExactly("step-000000001234.safetensors");
        }
        try (Recovery recovery = store.latestValid()) {
            assertThat(recovery.rejected()).isEmpty();
            assertThat(recovery.file()).contains(file);
            assertThat(recovery.checkpoint().orElseThrow().contentEquals(written)).isTrue();
        }
    }

    @Test
    void theNewestKAreKept() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 2);
        for (long step = 1; step <= 4; step++) {
            store.write(checkpointOf(step * 100));
        }

        assertThat(names(store.checkpoints())).containsExactly("step-000000000300.safetensors",
                "step-000000000400.safetensors");
        try (Recovery recovery = store.latestValid()) {
            assertThat(recovery.checkpoint().orElseThrow().step()).isEqualTo(400);
        }
    }

    @Test
    void resumingFromAnEarlierStepDeletesOnlyOlderCheckpoints() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 2);
        store.write(checkpointOf(10));
        store.write(checkpointOf(20));
        store.write(checkpointOf(30));

        store.write(checkpointOf(15));
        assertThat(names(store.checkpoints())).containsExactly("step-000000000015.safetensors",
                "step-000000000020.safetensors", "step-000000000030.safetensors");

        store.write(checkpointOf(16));
        assertThat(names(store.checkpoints())).containsExactly("step-000000000015.safetensors",
                "step-000000000016.safetensors", "step-000000000020.safetensors", "step-000000000030.safetensors");
    }

    @Test
    void aTruncatedNewestCheckpointFallsBackToThePreviousAndIsReported() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 3);
        store.write(checkpointOf(1));
        store.write(checkpointOf(2));
        Path newest = store.write(checkpointOf(3));
        byte[] bytes = Files.readAllBytes(newest);
        Files.write(newest, java.util.Arrays.copyOf(bytes, bytes.length / 2));

        try (Recovery recovery = store.latestValid()) {
            assertThat(recovery.checkpoint().orElseThrow().contentEquals(checkpointOf(2))).isTrue();
            assertThat(recovery.file()).contains(directory.resolve("step-000000000002.safetensors"));
            assertThat(recovery.rejected()).hasSize(1);
            Recovery.Rejected rejected = recovery.rejected().getFirst();
            assertThat(rejected.file()).isEqualTo(newest);
            assertThat(rejected.reason()).isInstanceOf(CheckpointFormatException.class)
                    .hasMessageStartingWith(newest + ": at byte offset ").hasMessageContaining("truncated");
        }
    }

    @Test
    void corruptDataInTheNewestTwoFallsBackToTheThirdAndReportsBothNewestFirst() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 3);
        store.write(checkpointOf(1));
        Path second = store.write(checkpointOf(2));
        Path third = store.write(checkpointOf(3));
        for (Path file : List.of(second, third)) {
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length - 3] ^= 0x40; // inside the last tensor's data
            Files.write(file, bytes);
        }

        try (Recovery recovery = store.latestValid()) {
            assertThat(recovery.checkpoint().orElseThrow().step()).isEqualTo(1);
            assertThat(recovery.rejected()).extracting(Recovery.Rejected::file).containsExactly(third, second);
            assertThat(recovery.rejected()).allSatisfy(r -> assertThat(r.reason().getMessage()).contains("CRC32C"));
        }
    }

    @Test
    void noValidCheckpointGivesNothingAndEveryReason() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 3);
        try (Recovery empty = store.latestValid()) {
            assertThat(empty.checkpoint()).isEmpty();
            assertThat(empty.rejected()).isEmpty();
        }
        Files.write(store.write(checkpointOf(5)), new byte[] {1, 2, 3});

        try (Recovery recovery = store.latestValid()) {
            assertThat(recovery.checkpoint()).isEmpty();
            assertThat(recovery.file()).isEmpty();
            assertThat(recovery.rejected()).singleElement().extracting(r -> r.reason().getMessage()).asString()
                    .contains("truncated: the file has 3 bytes");
        }
    }

    @Test
    void aCheckpointRenamedToAnotherStepIsRejected() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 3);
        store.write(checkpointOf(7));
        Path eight = store.write(checkpointOf(8));
        Files.move(eight, directory.resolve(CheckpointStore.fileName(9)));

        try (Recovery recovery = store.latestValid()) {
            assertThat(recovery.checkpoint().orElseThrow().step()).isEqualTo(7);
            assertThat(recovery.rejected().getFirst().reason().getMessage())
                    .contains("zbmd.step is 8; expected 9, the step in the file's name");
        }
    }

    @Test
    void theSameStepIsReplacedAtomically() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 3);
        store.write(checkpointOf(5));
        Checkpoint again = Checkpoint.builder(5).config("second").build();

        store.write(again);

        try (Recovery recovery = store.latestValid()) {
            assertThat(recovery.checkpoint().orElseThrow().contentEquals(again)).isTrue();
        }
        assertThat(store.checkpoints()).hasSize(1);
    }

    @Test
    void leftoversOfACrashedWriteAreIgnoredAndCleanedUpOtherFilesAreLeftAlone() throws IOException {
        CheckpointStore first = CheckpointStore.open(directory, 3);
        first.write(checkpointOf(1));
        Path leftover = Files.write(directory.resolve("step-000000000002.safetensors.tmp"), new byte[] {9, 9, 9});
        Path notes = Files.writeString(directory.resolve("notes.txt"), "mine");
        Path odd = Files.write(directory.resolve("step-2.safetensors"), new byte[] {1});

        assertThat(names(first.checkpoints())).containsExactly("step-000000000001.safetensors");
        try (Recovery recovery = first.latestValid()) {
            assertThat(recovery.checkpoint().orElseThrow().step()).isEqualTo(1);
            assertThat(recovery.rejected()).isEmpty();
        }

        CheckpointStore reopened = CheckpointStore.open(directory, 3);

        assertThat(leftover).doesNotExist();
        assertThat(notes).hasContent("mine");
        assertThat(odd).exists();
        assertThat(names(reopened.checkpoints())).containsExactly("step-000000000001.safetensors");
    }

    @Test
    void aWriteThatCannotCreateItsTemporaryFileFailsClearlyAndDamagesNothing() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 1);
        store.write(checkpointOf(1));
        // Something that is not a file stands where the temporary file goes (this works as root,
        // where a read-only directory would not stop the write).
        Files.createDirectory(directory.resolve("step-000000000002.safetensors.tmp"));
        Map<String, byte[]> before = snapshot();

        IOException e = catchThrowableOfType(IOException.class, () -> store.write(checkpointOf(2)));

        assertThat(e).hasMessageContaining("checkpoint directory " + directory)
                .hasMessageContaining("cannot write the checkpoint of step 2")
                .hasMessageContaining("step-000000000002.safetensors.tmp")
                .hasMessageContaining("the checkpoints already there are untouched");
        assertThat(snapshot()).containsOnlyKeys(before.keySet());
        before.forEach((name, bytes) -> assertThat(directory.resolve(name)).hasBinaryContent(bytes));
        try (Recovery recovery = store.latestValid()) {
            assertThat(recovery.checkpoint().orElseThrow().step()).isEqualTo(1);
        }
    }

    @Test
    void aWriteThatCannotRenameFailsClearlyLeavesNoTemporaryFileAndKeepsTheOldOnes() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 1);
        store.write(checkpointOf(1));
        Files.createDirectory(directory.resolve(CheckpointStore.fileName(2)));
        Files.writeString(directory.resolve(CheckpointStore.fileName(2)).resolve("inside"), "x");

        assertThatThrownBy(() -> store.write(checkpointOf(2))).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot write the checkpoint of step 2");

        assertThat(directory.resolve(CheckpointStore.fileName(2) + ".tmp")).doesNotExist();
        assertThat(names(store.checkpoints())).containsExactly("step-000000000001.safetensors");
    }

    @Test
    void aReadOnlyDirectoryFailsClearlyAndDamagesNothing() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 1);
        store.write(checkpointOf(1));
        Map<String, byte[]> before = snapshot();
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeFalse(Files.isWritable(directory), "running as root, which writes to read-only directories");

            assertThatThrownBy(() -> store.write(checkpointOf(2))).isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot write the checkpoint of step 2")
                    .hasMessageContaining("permission denied").hasMessageNotContaining("Exception");
        } finally {
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        assertThat(snapshot()).containsOnlyKeys(before.keySet());
    }

    @Test
    void openingChecksItsArguments() throws IOException {
        Path file = Files.writeString(directory.resolve("a-file"), "x");
        assertThatThrownBy(() -> CheckpointStore.open(file, 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("is a file");
        assertThatThrownBy(() -> CheckpointStore.open(directory, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keepCount must be 1 or more, was 0");
        CheckpointStore nested = CheckpointStore.open(directory.resolve("a/b"), 1);
        assertThat(nested.directory()).isDirectory();
        assertThat(CheckpointStore.fileName(0)).isEqualTo("step-000000000000.safetensors");
        assertThat(CheckpointStore.fileName(Long.MAX_VALUE)).isEqualTo("step-9223372036854775807.safetensors");
    }

    @Test
    void closingTheRecoveryFreesTheTensors() throws IOException {
        CheckpointStore store = CheckpointStore.open(directory, 1);
        store.write(checkpointOf(1));
        Recovery recovery = store.latestValid();
        TensorData bias = recovery.checkpoint().orElseThrow().model().get("0.bias");
        assertThat(bias.toFloatArray()).containsExactly(1, -1, 0, 1);

        recovery.close();
        recovery.close();

        assertThatThrownBy(bias::toFloatArray).isInstanceOf(IllegalStateException.class);
    }
}
