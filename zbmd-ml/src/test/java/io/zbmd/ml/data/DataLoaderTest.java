package io.zbmd.ml.data;

import io.zbmd.testing.Seeds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DataLoaderTest {
    private static final List<String> CLASSES = List.of("a", "b", "c", "d", "e");

    /** A dataset of {@code size} random 3 × 4 images with random labels. */
    private static ImageDataset dataset(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] pixels = new byte[size * 12];
        random.nextBytes(pixels);
        byte[] labels = new byte[size];
        for (int i = 0; i < size; i++) {
            labels[i] = (byte) random.nextInt(CLASSES.size());
        }
        return ImageDataset.of("random", 3, 4, pixels, labels, CLASSES);
    }

    /** Hands out batches until the epoch changes; the loader is then at the next epoch's start. */
    private static List<Batch> restOfEpoch(DataLoader loader) {
        List<Batch> batches = new ArrayList<>();
        for (int left = loader.batchesLeftInEpoch(); left > 0; left--) {
            batches.add(loader.next());
        }
        return batches;
    }

    private static int[] indices(List<Batch> batches) {
        return batches.stream().flatMapToInt(batch -> Arrays.stream(batch.sampleIndices())).toArray();
    }

    @Test
    void everySampleAppearsExactlyOncePerEpoch() {
        DataLoader loader = DataLoader.create(dataset(1000, 1), DataLoaderConfig.ofBatchSize(64).withSeed(9));
        assertThat(loader.batchesPerEpoch()).isEqualTo(16);
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Batch> batches = restOfEpoch(loader);
            assertThat(batches).hasSize(16);
            assertThat(batches).allSatisfy(batch -> assertThat(batch.epoch()).isEqualTo(batches.getFirst().epoch()));
            assertThat(batches.getFirst().epoch()).isEqualTo(epoch);
            assertThat(batches.stream().mapToInt(Batch::size)).containsExactlyElementsOf(
                    Stream.concat(Stream.generate(() -> 64).limit(15), Stream.of(1000 - 15 * 64)).toList());
            assertThat(batches.stream().mapToInt(Batch::firstSampleInEpoch))
                    .containsExactlyElementsOf(IntStream.range(0, 16).map(b -> b * 64).boxed().toList());
            assertThat(indices(batches)).containsExactlyInAnyOrder(IntStream.range(0, 1000).toArray());
            assertThat(loader.position()).isEqualTo(new LoaderPosition(epoch + 1, 0));
        }
    }

    @Test
    void theSameSeedGivesTheSameBatches() {
        ImageDataset data = dataset(300, 2);
        DataLoader first = DataLoader.create(data, DataLoaderConfig.ofBatchSize(32).withSeed(5));
        DataLoader second = DataLoader.create(data, DataLoaderConfig.ofBatchSize(32).withSeed(5));
        for (int b = 0; b < 25; b++) {
            assertSameBatch(first.next(), second.next(), "batch " + b);
        }
    }

    @Test
    void differentEpochsAndSeedsGiveDifferentOrders() {
        DataLoaderConfig config = DataLoaderConfig.ofBatchSize(1).withSeed(5);
        Set<List<Integer>> orders = new HashSet<>();
        for (int epoch = 0; epoch < 20; epoch++) {
            orders.add(boxed(DataLoader.epochOrder(100, config, epoch)));
        }
        for (long seed = 6; seed < 26; seed++) {
            orders.add(boxed(DataLoader.epochOrder(100, config.withSeed(seed), 0)));
        }
        assertThat(orders).as("40 orders of 100 samples, all different").hasSize(40);
    }

    /** Pins the shuffle: a saved position only resumes correctly while this order stays the same. */
    @Test
    void theShuffleIsStableAcrossVersions() {
        DataLoaderConfig config = DataLoaderConfig.ofBatchSize(1).withSeed(42);
        assertThat(DataLoader.epochOrder(10, config, 0)).containsExactly(5, 0, 4, 3, 2, 6, 7, 1, 9, 8);
        assertThat(DataLoader.epochOrder(10, config, 1)).containsExactly(0, 1, 4, 6, 8, 7, 5, 9, 2, 3);
    }

    @Test
    void withoutShuffleSamplesComeInDatasetOrder() {
        DataLoader loader = DataLoader.create(dataset(10, 3), DataLoaderConfig.ofBatchSize(4).withShuffle(false));
        for (int epoch = 0; epoch < 2; epoch++) {
            assertThat(indices(restOfEpoch(loader))).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        }
    }

    static Stream<Long> seeds() {
        return Seeds.of(200);
    }

    /** Property: from any saved position, a fresh loader replays exactly what the original hands out. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void resumingFromASavedPositionReplaysTheSameBatches(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int size = 1 + random.nextInt(200);
        int batchSize = 1 + random.nextInt(Math.min(size, 40));
        DataLoaderConfig config = DataLoaderConfig.ofBatchSize(batchSize).withSeed(random.nextLong())
                .withShuffle(random.nextInt(4) != 0).withDropLast(random.nextBoolean());
        ImageDataset data = dataset(size, seed);
        String replay = Seeds.replay(seed) + ", " + config + ", size " + size;
        DataLoader original = DataLoader.create(data, config);
        int skipped = random.nextInt(3 * original.batchesPerEpoch() + 1);
        for (int b = 0; b < skipped; b++) {
            original.next();
        }
        LoaderPosition saved = original.position();

        DataLoader resumed = DataLoader.create(data, config);
        resumed.seek(saved);

        assertThat(resumed.position()).as(replay).isEqualTo(saved);
        assertThat(resumed.batchesLeftInEpoch()).as(replay).isEqualTo(original.batchesLeftInEpoch());
        int compared = original.batchesLeftInEpoch() + original.batchesPerEpoch(); // into the next epoch too
        for (int b = 0; b < compared; b++) {
            assertSameBatch(resumed.next(), original.next(), replay + ", batch " + b + " after " + saved);
        }
    }

    @Test
    void resumingMidEpochReplaysTheRestOfThatEpochExactly() {
        ImageDataset data = dataset(500, 4);
        DataLoaderConfig config = DataLoaderConfig.ofBatchSize(64).withSeed(77);
        DataLoader original = DataLoader.create(data, config);
        restOfEpoch(original);
        original.next();
        original.next();
        LoaderPosition saved = original.position();
        assertThat(saved).isEqualTo(new LoaderPosition(1, 128));
        List<Batch> expected = restOfEpoch(original);

        DataLoader resumed = DataLoader.create(data, config);
        resumed.seek(saved);
        List<Batch> actual = restOfEpoch(resumed);

        assertThat(actual).hasSize(expected.size()).hasSize(6);
        for (int b = 0; b < expected.size(); b++) {
            assertSameBatch(actual.get(b), expected.get(b), "batch " + b);
        }
        Set<Integer> seen = Arrays.stream(indices(actual)).boxed().collect(Collectors.toSet());
        assertThat(seen).hasSize(500 - 128); // the rest of the epoch, nothing twice
    }

    @Test
    void dropLastHandsOutOnlyFullBatchesAndDropsDifferentSamplesEachEpoch() {
        DataLoader loader = DataLoader.create(dataset(1000, 5),
                DataLoaderConfig.ofBatchSize(64).withSeed(3).withDropLast(true));
        assertThat(loader.batchesPerEpoch()).isEqualTo(15);
        Set<Set<Integer>> droppedPerEpoch = new HashSet<>();
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Batch> batches = restOfEpoch(loader);
            assertThat(batches).hasSize(15).allSatisfy(batch -> assertThat(batch.size()).isEqualTo(64));
            Set<Integer> seen = Arrays.stream(indices(batches)).boxed().collect(Collectors.toSet());
            assertThat(seen).hasSize(960);
            droppedPerEpoch.add(IntStream.range(0, 1000).filter(i -> !seen.contains(i)).boxed().collect(Collectors.toSet()));
            assertThat(loader.position()).isEqualTo(new LoaderPosition(epoch + 1, 0));
        }
        assertThat(droppedPerEpoch).hasSize(3);
    }

    @Test
    void withoutDropLastTheLastBatchIsSmaller() {
        DataLoader loader = DataLoader.create(dataset(10, 6), DataLoaderConfig.ofBatchSize(4));
        assertThat(restOfEpoch(loader).stream().map(Batch::size)).containsExactly(4, 4, 2);
    }

    @Test
    void batchFeaturesAreTheSourceBytesOver255AndLabelsMatch() {
        ImageDataset data = dataset(50, 7);
        DataLoader loader = DataLoader.create(data, DataLoaderConfig.ofBatchSize(16).withSeed(1));
        for (Batch batch : restOfEpoch(loader)) {
            assertThat(batch.featuresPerSample()).isEqualTo(12);
            assertThat(batch.features()).hasSize(batch.size() * 12);
            for (int k = 0; k < batch.size(); k++) {
                int sample = batch.sampleIndices()[k];
                assertThat(batch.labels()[k]).isEqualTo(data.label(sample));
                for (int f = 0; f < 12; f++) {
                    float value = batch.features()[k * 12 + f];
                    assertThat(value).isEqualTo(data.pixel(sample, f) / 255f).isBetween(0f, 1f);
                }
            }
        }
    }

    @Test
    void standardizationSubtractsTheMeanAndDividesByTheStd() {
        ImageDataset data = dataset(20, 8);
        float mean = FashionMnist.TRAIN_PIXEL_MEAN;
        float std = FashionMnist.TRAIN_PIXEL_STD;
        DataLoader loader = DataLoader.create(data, DataLoaderConfig.ofBatchSize(20).withStandardization(mean, std));
        Batch batch = loader.next();
        for (int k = 0; k < batch.size(); k++) {
            for (int f = 0; f < 12; f++) {
                float expected = ((data.pixel(batch.sampleIndices()[k], f) / 255f) - mean) / std;
                assertThat(batch.features()[k * 12 + f]).isEqualTo(expected);
            }
        }
    }

    @Test
    void aSubsetHoldsTheFirstSamplesOnly() {
        ImageDataset data = dataset(100, 9);
        ImageDataset first = data.first(30);
        assertThat(first.size()).isEqualTo(30);
        assertThat(first.name()).isEqualTo("random[:30]");
        assertThat(first.pixel(29, 11)).isEqualTo(data.pixel(29, 11));
        assertThatThrownBy(() -> first.label(30)).isInstanceOf(IndexOutOfBoundsException.class);
        DataLoader loader = DataLoader.create(first, DataLoaderConfig.ofBatchSize(7));
        assertThat(indices(restOfEpoch(loader))).containsExactlyInAnyOrder(IntStream.range(0, 30).toArray());
        assertThatThrownBy(() -> data.first(101)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("count must be 0 to 100 (the size of random), was 101");
    }

    @Test
    void seekingToTheEndOfAnEpochMeansTheStartOfTheNext() {
        DataLoader loader = DataLoader.create(dataset(10, 10), DataLoaderConfig.ofBatchSize(4).withDropLast(true));
        loader.seek(new LoaderPosition(3, 10));
        assertThat(loader.position()).isEqualTo(new LoaderPosition(4, 0));
        loader.seek(new LoaderPosition(3, 7)); // 3 left: no full batch of 4
        assertThat(loader.position()).isEqualTo(new LoaderPosition(4, 0));
        loader.seek(new LoaderPosition(2, 5)); // any offset works, not only batch boundaries
        Batch batch = loader.next();
        assertThat(batch.epoch()).isEqualTo(2);
        assertThat(batch.firstSampleInEpoch()).isEqualTo(5);
        assertThat(batch.sampleIndices()).containsExactly(
                Arrays.copyOfRange(DataLoader.epochOrder(10, loader.config(), 2), 5, 9));
        assertThatThrownBy(() -> loader.seek(new LoaderPosition(0, 11))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("position.sampleInEpoch must be at most 10 (the size of random), was 11");
    }

    @Test
    void aDatasetThatYieldsNoBatchIsRefused() {
        assertThatThrownBy(() -> DataLoader.create(dataset(10, 11), DataLoaderConfig.ofBatchSize(16).withDropLast(true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("dataset random has 10 samples, which yields no batch of 16 with dropLast");
        assertThatThrownBy(() -> DataLoader.create(dataset(10, 11).first(0), DataLoaderConfig.ofBatchSize(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void configsAndPositionsNameTheBadValue() {
        assertThatThrownBy(() -> DataLoaderConfig.ofBatchSize(0)).hasMessage("batchSize must be 1 or more, was 0");
        assertThatThrownBy(() -> DataLoaderConfig.ofBatchSize(1).withStandardization(0, 0))
                .hasMessage("std must be finite and above 0, was 0.0");
        assertThatThrownBy(() -> DataLoaderConfig.ofBatchSize(1).withStandardization(Float.NaN, 1))
                .hasMessage("mean must be finite, was NaN");
        assertThatThrownBy(() -> new LoaderPosition(-1, 0)).hasMessage("epoch must be 0 or more, was -1");
        assertThatThrownBy(() -> new LoaderPosition(0, -2)).hasMessage("sampleInEpoch must be 0 or more, was -2");
    }

    @Test
    void datasetsAndBatchesCheckTheirArrays() {
        assertThatThrownBy(() -> ImageDataset.of("x", 2, 2, new byte[8], new byte[] {0, 5}, CLASSES))
                .hasMessage("labels[1] is 5, expected 0 to 4");
        assertThatThrownBy(() -> ImageDataset.of("x", 2, 2, new byte[7], new byte[2], CLASSES))
                .hasMessage("pixels must hold 2 × 2 × 2 bytes (one image per label), held 7");
        assertThatThrownBy(() -> Column.floats(new float[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("shape [2, 3] holds 6 values; the array has 5");
        assertThatThrownBy(() -> new Batch(Column.floats(new float[6], 2, 3), Column.ints(new int[3], 3), new int[2], 0,
                0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a batch of 2 examples got inputs float32[2, 3] and targets int32[3]");
    }

    private static void assertSameBatch(Batch actual, Batch expected, String context) {
        assertThat(actual.epoch()).as(context).isEqualTo(expected.epoch());
        assertThat(actual.firstSampleInEpoch()).as(context).isEqualTo(expected.firstSampleInEpoch());
        assertThat(actual.size()).as(context).isEqualTo(expected.size());
        assertThat(actual.sampleIndices()).as(context).isEqualTo(expected.sampleIndices());
        assertThat(actual.labels()).as(context).isEqualTo(expected.labels());
        assertThat(actual.features()).as(context).isEqualTo(expected.features());
    }

    private static List<Integer> boxed(int[] values) {
        return Arrays.stream(values).boxed().toList();
    }
}
