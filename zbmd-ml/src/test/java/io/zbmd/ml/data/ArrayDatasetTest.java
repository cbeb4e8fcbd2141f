package io.zbmd.ml.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ArrayDataset}, {@link Column} and {@link Transform} under the {@link DataLoader}: rows
 * of any shape and either element type reach the batch as they were, transforms run in order
 * and are checked, and a loader moved to a saved position replays the same batches.
 */
class ArrayDatasetTest {
    /** Ten token sequences of length 3 (ids 10·i + j) whose targets are the next ids. */
    private static ArrayDataset tokens() {
        int[] inputs = new int[30];
        int[] targets = new int[30];
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 3; j++) {
                inputs[3 * i + j] = 10 * i + j;
                targets[3 * i + j] = 10 * i + j + 1;
            }
        }
        return ArrayDataset.of("tokens", Column.ints(inputs, 10, 3), Column.ints(targets, 10, 3));
    }

    /** Seven examples of 2 × 2 floats (value 100·i + k) with float targets [i, -i]. */
    private static ArrayDataset grids() {
        float[] inputs = new float[28];
        float[] targets = new float[14];
        for (int i = 0; i < 7; i++) {
            for (int k = 0; k < 4; k++) {
                inputs[4 * i + k] = 100 * i + k;
            }
            targets[2 * i] = i;
            targets[2 * i + 1] = -i;
        }
        return ArrayDataset.of("grids", Column.floats(inputs, 7, 2, 2), Column.floats(targets, 7, 2));
    }

    @Test
    void batchesHoldTheRowsOfTheirSampleIndicesWithTheColumnsShapes() {
        DataLoader loader = DataLoader.create(grids(), DataLoaderConfig.ofBatchSize(3).withSeed(9));
        List<Integer> seen = new ArrayList<>();
        for (int b = 0; b < loader.batchesPerEpoch(); b++) {
            Batch batch = loader.next();
            assertThat(batch.inputs().shape()).containsExactly(batch.size(), 2, 2);
            assertThat(batch.targets().shape()).containsExactly(batch.size(), 2);
            float[] inputs = batch.features();
            float[] targets = ((Column.Floats) batch.targets()).values();
            for (int k = 0; k < batch.size(); k++) {
                int i = batch.sampleIndices()[k];
                seen.add(i);
                for (int f = 0; f < 4; f++) {
                    assertThat(inputs[4 * k + f]).isEqualTo(100f * i + f);
                }
                assertThat(targets[2 * k]).isEqualTo(i);
                assertThat(targets[2 * k + 1]).isEqualTo(-i);
            }
        }
        assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6).isNotEqualTo(List.of(0, 1, 2, 3, 4, 5, 6));
    }

    @Test
    void intInputsStayIntsAndASeekReplaysTheSameBatches() {
        DataLoaderConfig config = DataLoaderConfig.ofBatchSize(4).withSeed(2);
        DataLoader first = DataLoader.create(tokens(), config);
        first.next();
        first.next();
        LoaderPosition saved = first.position();
        List<Batch> expected = List.of(first.next(), first.next(), first.next()); // the epoch's last (2), then 4, 4
        DataLoader resumed = DataLoader.create(tokens(), config);
        resumed.seek(saved);
        for (Batch want : expected) {
            Batch got = resumed.next();
            assertThat(got.sampleIndices()).isEqualTo(want.sampleIndices());
            assertThat(((Column.Ints) got.inputs()).values()).isEqualTo(((Column.Ints) want.inputs()).values());
            assertThat(((Column.Ints) got.targets()).values()).isEqualTo(((Column.Ints) want.targets()).values());
            for (int k = 0; k < got.size(); k++) {
                assertThat(((Column.Ints) got.inputs()).values()[3 * k]).isEqualTo(10 * got.sampleIndices()[k]);
            }
        }
        assertThatThrownBy(() -> expected.getFirst().features()).isInstanceOf(IllegalStateException.class)
                .hasMessage("the batch's inputs are int32[2, 3], not floats");
        assertThatThrownBy(() -> expected.getFirst().labels()).isInstanceOf(IllegalStateException.class)
                .hasMessage("the batch's targets are int32[2, 3], not class indices [n]");
    }

    @Test
    void transformsRunInOrderAfterTheStandardisation() {
        Transform twice = Transform.of("twice", batch -> {
            float[] values = batch.features();
            for (int i = 0; i < values.length; i++) {
                values[i] *= 2;
            }
            return batch;
        });
        DataLoader loader = DataLoader.create(grids(), DataLoaderConfig.ofBatchSize(7).withShuffle(false)
                .withStandardization(100f, 4f).withTransforms(twice));
        Batch batch = loader.next();
        for (int i = 0; i < 7; i++) {
            assertThat(batch.features()[4 * i + 1]).isEqualTo(((100f * i + 1) - 100f) / 4f * 2);
        }
    }

    @Test
    void oneHotTurnsClassIndicesIntoRows() {
        ArrayDataset labelled = ArrayDataset.of("labelled", Column.floats(new float[4], 4, 1),
                Column.ints(new int[] {2, 0, 1, 2}, 4));
        Batch batch = DataLoader.create(labelled, DataLoaderConfig.ofBatchSize(4).withShuffle(false)
                .withTransforms(Transform.oneHot(3))).next();
        assertThat(batch.targets().shape()).containsExactly(4, 3);
        assertThat(((Column.Floats) batch.targets()).values())
                .containsExactly(0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1);
        DataLoader tooFew = DataLoader.create(labelled, DataLoaderConfig.ofBatchSize(4).withShuffle(false)
                .withTransforms(Transform.oneHot(2)));
        assertThatThrownBy(tooFew::next).hasMessage("oneHot(2): example 0 has class 2");
    }

    @Test
    void aTokenStreamBecomesWindowsWhoseTargetsAreTheNextTokens() {
        int[] stream = new int[23];
        for (int i = 0; i < stream.length; i++) {
            stream[i] = 100 + i;
        }
        TokenDataset windows = TokenDataset.of("stream", stream, 5, 4);
        // Starts 0, 4, 8, 12, 16: the window at 16 ends at 20, its last target is token 21.
        assertThat(windows.size()).isEqualTo(5);
        Column.Ints inputs = (Column.Ints) windows.inputs(new int[] {4, 1});
        Column.Ints targets = (Column.Ints) windows.targets(new int[] {4, 1});
        assertThat(inputs.shape()).containsExactly(2, 5);
        assertThat(inputs.values()).containsExactly(116, 117, 118, 119, 120, 104, 105, 106, 107, 108);
        assertThat(targets.values()).containsExactly(117, 118, 119, 120, 121, 105, 106, 107, 108, 109);
        assertThat(TokenDataset.of("exact", new int[6], 5, 5).size()).isEqualTo(1);
        assertThatThrownBy(() -> TokenDataset.of("short", new int[5], 5, 5))
                .hasMessage("token dataset short: 5 tokens hold no window of 5 with its next token (6 needed)");
        Batch batch = DataLoader.create(windows, DataLoaderConfig.ofBatchSize(5).withShuffle(false)).next();
        assertThat(((Column.Ints) batch.inputs()).values()[5]).isEqualTo(104);
    }

    @Test
    void badColumnsAndTransformsAreRefusedWithTheValues() {
        assertThatThrownBy(() -> ArrayDataset.of("x", Column.floats(new float[6], 3, 2), Column.ints(new int[2], 2)))
                .hasMessage("dataset x: inputs float32[3, 2] and targets int32[2] must hold as many examples");
        assertThatThrownBy(() -> Column.ints(new int[4], 2, -2))
                .hasMessage("shape [2, -2] has a negative dimension");
        Transform dropsOne = Transform.of("drop-one", batch -> batch.range(0, batch.size() - 1));
        DataLoader loader = DataLoader.create(grids(), DataLoaderConfig.ofBatchSize(3).withTransforms(dropsOne));
        assertThatThrownBy(loader::next).isInstanceOf(IllegalStateException.class)
                .hasMessage("transform drop-one changed the batch's size from 3 to 2");
        assertThatThrownBy(() -> DataLoader.create(tokens(), DataLoaderConfig.ofBatchSize(3)
                .withStandardization(1f, 2f)).next()).hasMessage("standardize needs float inputs; the batch's are int32[3, 3]");
        assertThat(grids().first(2).size()).isEqualTo(2);
        assertThat(grids().first(2).name()).isEqualTo("grids[:2]");
    }
}
