package io.zbmd.ml.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.tensor.Autograd;
import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The GPT module: nanoGPT's names and shapes, causality, and that it learns a sequence. */
class GptTest {
    private static final Gpt.Config SMALL = new Gpt.Config(256, 16, 2, 2, 32, 0f, true);

    private CpuBackend backend;
    private TensorScope scope;

    @BeforeEach
    void open() {
        backend = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(256L << 20));
        scope = TensorScope.create(backend);
    }

    @AfterEach
    void close() {
        scope.close();
        backend.close();
    }

    @Test
    void parametersCarryNanoGptsNamesAndShapes() {
        Map<String, Tensor> named;
        try (var _ = scope.enter()) {
            named = new Gpt(Gpt.Config.reference(), new SplittableRandom(1)).namedParameters();
        }
        assertThat(named.keySet()).startsWith("transformer.wte.weight", "transformer.wpe.weight",
                "transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias", "transformer.h.0.attn.c_attn.weight",
                "transformer.h.0.attn.c_attn.bias", "transformer.h.0.attn.c_proj.weight",
                "transformer.h.0.attn.c_proj.bias", "transformer.h.0.ln_2.weight", "transformer.h.0.ln_2.bias",
                "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_fc.bias",
                "transformer.h.0.mlp.c_proj.weight", "transformer.h.0.mlp.c_proj.bias")
                .endsWith("transformer.h.3.mlp.c_proj.bias", "transformer.ln_f.weight", "transformer.ln_f.bias")
                .doesNotContain("lm_head.weight");
        assertThat(named.get("transformer.h.0.attn.c_attn.weight").shape()).containsExactly(384, 128);
        assertThat(named.get("transformer.h.0.mlp.c_proj.weight").shape()).containsExactly(128, 512);
        // As nanoGPT counts the reference model: embeddings 49,152, four blocks of 198,272, ln_f 256.
        assertThat(named.values().stream().mapToLong(t -> Arrays.stream(t.shape()).asLongStream()
                .reduce(1, (a, b) -> a * b)).sum()).isEqualTo(842_496);
        Map<String, Tensor> untied;
        try (var _ = scope.enter()) {
            untied = new Gpt(new Gpt.Config(256, 8, 1, 1, 8, 0f, false), new SplittableRandom(1)).namedParameters();
        }
        assertThat(untied).containsKey("lm_head.weight");
        assertThat(untied.get("lm_head.weight").shape()).containsExactly(256, 8);
    }

    @Test
    void aPositionsLogitsDependOnlyOnTheTokensUpToIt() {
        int[] tokens = new SplittableRandom(3).ints(2 * 12, 0, 256).toArray();
        int[] changed = tokens.clone();
        changed[7] = (changed[7] + 1) % 256; // the first sequence's position 7
        float[] before;
        float[] after;
        try (var _ = scope.enter(); var noGrad = Autograd.noGrad()) {
            Gpt model = new Gpt(SMALL, new SplittableRandom(2));
            Tensor logits = model.forward(Tensors.ofInts(tokens, 2, 12));
            assertThat(logits.shape()).containsExactly(2, 12, 256);
            before = logits.toFloatArray();
            after = model.forward(Tensors.ofInts(changed, 2, 12)).toFloatArray();
        }
        int perPosition = 256;
        assertThat(Arrays.copyOf(after, 7 * perPosition)).as("positions 0 to 6")
                .containsExactly(Arrays.copyOf(before, 7 * perPosition));
        assertThat(Arrays.copyOfRange(after, 7 * perPosition, 8 * perPosition)).as("position 7")
                .isNotEqualTo(Arrays.copyOfRange(before, 7 * perPosition, 8 * perPosition));
        assertThat(Arrays.copyOfRange(after, 12 * perPosition, after.length)).as("the second sequence")
                .containsExactly(Arrays.copyOfRange(before, 12 * perPosition, before.length));
    }

    @Test
    void aSequenceLongerThanTheContextIsRefusedByName() {
        try (var _ = scope.enter()) {
            Gpt model = new Gpt(SMALL, new SplittableRandom(2));
            assertThatThrownBy(() -> model.forward(Tensors.ofInts(new int[17], 1, 17)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("context of 16")
                    .hasMessageContaining("[1, 17]");
        }
        assertThatThrownBy(() -> new Gpt.Config(256, 16, 2, 3, 32, 0f, true))
                .hasMessageContaining("32 is not divisible by its 3 heads");
    }

    @Test
    void itLearnsToContinueARepeatingText() {
        byte[] text = "the cat sat on the mat. ".repeat(8).getBytes(StandardCharsets.US_ASCII);
        int time = 16;
        int batch = 8;
        int[] inputs = new int[batch * time];
        int[] targets = new int[batch * time];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < time; t++) {
                inputs[b * time + t] = text[3 * b + t];
                targets[b * time + t] = text[3 * b + t + 1];
            }
        }
        float first = Float.NaN;
        float last = Float.NaN;
        Gpt trained;
        try (var _ = scope.enter()) {
            Gpt model = new Gpt(SMALL, new SplittableRandom(4));
            trained = model;
            try (Adam adam = Adam.adamW(model.parameters(), 3e-3)) {
                for (int step = 0; step < 60; step++) {
                    try (TensorScope ignored = TensorScope.open(backend)) {
                        Tensor logits = model.forward(Tensors.ofInts(inputs, batch, time)).reshape(batch * time, 256);
                        Tensor loss = F.crossEntropy(logits, Tensors.ofInts(targets, batch * time), 0f);
                        adam.zeroGrad();
                        loss.backward();
                        adam.step();
                        last = loss.item();
                        if (step == 0) {
                            first = last;
                        }
                    }
                }
            }
        }
        // Uniform guessing over 256 bytes costs ln 256 ≈ 5.55 nats; the text repeats every 24 bytes.
        assertThat(first).isBetween(5.0f, 6.5f);
        assertThat(last).isLessThan(0.5f);
        // Greedy generation continues the text it learned (from its first window's start).
        try (var _ = scope.enter()) {
            Gpt model = trained;
            model.train(false);
            int[] prompt = toInts("the cat ".getBytes(StandardCharsets.US_ASCII));
            int[] made = model.generate(prompt, 8, new Gpt.Sampling(0f, 0), new SplittableRandom(1), t -> {});
            byte[] bytes = new byte[made.length];
            for (int i = 0; i < made.length; i++) {
                bytes[i] = (byte) made[i];
            }
            assertThat(new String(bytes, StandardCharsets.US_ASCII)).isEqualTo("sat on t");
        }
    }

    @Test
    void cachedStepsGiveTheLogitsOfTheWholeSequence() {
        try (var _ = scope.enter()) {
            Gpt model = new Gpt(SMALL, new SplittableRandom(5));
            int[] tokens = new int[SMALL.context()];
            SplittableRandom random = new SplittableRandom(6);
            Arrays.setAll(tokens, i -> random.nextInt(256));
            float[] whole = model.forward(Tensors.ofInts(tokens, 1, tokens.length)).toFloatArray();
            Gpt.Cache cache = model.newCache();
            int prompt = 5;
            float[] cached = new float[whole.length];
            float[] first = model.forward(Tensors.ofInts(Arrays.copyOf(tokens, prompt), 1, prompt), cache)
                    .toFloatArray();
            System.arraycopy(first, 0, cached, 0, first.length);
            for (int t = prompt; t < tokens.length; t++) {
                assertThat(cache.length()).isEqualTo(t);
                float[] step = model.forward(Tensors.ofInts(new int[] {tokens[t]}, 1, 1), cache).toFloatArray();
                System.arraycopy(step, 0, cached, t * 256, 256);
            }
            // The same arithmetic in other matrix shapes: equal but for the order of a few sums.
            for (int i = 0; i < whole.length; i++) {
                assertThat(cached[i]).as("logit %d of position %d", i % 256, i / 256).isCloseTo(whole[i],
                        org.assertj.core.data.Offset.offset(2e-5f));
            }
            assertThatThrownBy(() -> model.forward(Tensors.ofInts(new int[] {1}, 1, 1), cache))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("within the context of 16");
        }
    }

    @Test
    void sampledGenerationRepeatsWithItsSeedAndStaysInTheTopK() {
        try (var _ = scope.enter()) {
            Gpt model = new Gpt(SMALL, new SplittableRandom(7));
            model.train(false);
            int[] prompt = {10, 20, 30};
            Gpt.Sampling sampling = new Gpt.Sampling(1.5f, 3);
            int[] once = model.generate(prompt, 40, sampling, new SplittableRandom(9), t -> {});
            int[] again = model.generate(prompt, 40, sampling, new SplittableRandom(9), t -> {});
            int[] other = model.generate(prompt, 40, sampling, new SplittableRandom(10), t -> {});
            assertThat(once).hasSize(40).isEqualTo(again).isNotEqualTo(other);
            // Each token is among the three likeliest after the text before it (40 > the context: slid).
            int[] text = new int[prompt.length + once.length];
            System.arraycopy(prompt, 0, text, 0, prompt.length);
            System.arraycopy(once, 0, text, prompt.length, once.length);
            Gpt.Cache cache = model.newCache();
            int[] window = Arrays.copyOf(text, prompt.length);
            for (int i = 0; i < once.length; i++) {
                int length = prompt.length + i;
                if (cache.length() + window.length > SMALL.context()) {
                    window = Arrays.copyOfRange(text, length - SMALL.context() / 2, length);
                    cache.clear();
                }
                float[] all = model.forward(Tensors.ofInts(window, 1, window.length), cache).toFloatArray();
                float[] logits = Arrays.copyOfRange(all, all.length - 256, all.length);
                float mine = logits[once[i]];
                long higher = 0;
                for (float v : logits) {
                    higher += v > mine ? 1 : 0;
                }
                assertThat(higher).as("tokens likelier than token %d", i).isLessThan(3);
                window = new int[] {once[i]};
            }
        }
    }

    @Test
    void aPromptLongerThanTheContextIsRefused() {
        try (var _ = scope.enter()) {
            Gpt model = new Gpt(SMALL, new SplittableRandom(1));
            assertThatThrownBy(() -> model.generate(new int[17], 1, new Gpt.Sampling(1f, 0), new SplittableRandom(1),
                    t -> {})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the prompt has 17 tokens; it needs 1 to the model's context of 16");
        }
        assertThatThrownBy(() -> new Gpt.Sampling(-1f, 0)).hasMessageContaining("temperature");
    }

    @Test
    void aRunsRecordedConfigurationReadsBack() {
        Gpt.Config config = new Gpt.Config(256, 64, 3, 2, 48, 0.1f, false);
        assertThat(Gpt.Config.find("model=gpt" + config)).contains(config);
        assertThat(Gpt.Config.find("model=mlp")).isEmpty();
    }

    private static int[] toInts(byte[] bytes) {
        int[] ints = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ints[i] = bytes[i] & 0xff;
        }
        return ints;
    }
}
