package io.zbmd.bench.ml;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.checkpoint.Weights;
import io.zbmd.ml.nn.Gpt;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * zbmd's side of the GPT benchmarks: {@link Gpt} on a CPU backend with {@code threads} compute
 * threads, AdamW, one tensor scope per step; generation through {@link Gpt#generate} (its
 * key/value cache).
 */
final class ZbmdGpt implements GptPeer {
    private final CpuBackend backend;
    private final TensorScope modelScope;
    private final Gpt model;
    private final Adam adam;
    private final int[] inputs;
    private final int[] targets;

    ZbmdGpt(int threads, CpuConfig config) {
        this.backend = CpuBackend.create(config.withThreads(threads).withMemoryBudgetBytes(2L << 30));
        try {
            this.modelScope = TensorScope.create(backend);
            try (var _ = modelScope.enter()) {
                this.model = new Gpt(Gpt.Config.reference(), new SplittableRandom(SEED));
            }
            this.adam = new Adam(model.parameters(), 1e-3, 0.9, 0.95, 1e-8, 0.1, true);
        } catch (RuntimeException | Error e) {
            backend.close();
            throw e;
        }
        int[][] batch = GptPeer.batch();
        this.inputs = batch[0];
        this.targets = batch[1];
    }

    /** Writes the model's initial weights for {@link #SEED} to {@code file}, as safetensors with nanoGPT's names. */
    static void saveInitialWeights(Path file) throws IOException {
        try (CpuBackend small = CpuBackend.create(CpuConfig.defaults().withThreads(1)
                .withMemoryBudgetBytes(256L << 20)); TensorScope scope = TensorScope.create(small)) {
            try (var _ = scope.enter()) {
                Weights.save(new Gpt(Gpt.Config.reference(), new SplittableRandom(SEED)).stateDict(), file);
            }
        }
    }

    @Override
    public float step() {
        try (TensorScope _ = TensorScope.open(backend)) {
            Tensor logits = model.forward(Tensors.ofInts(inputs, BATCH, CONTEXT));
            Tensor loss = F.crossEntropy(logits.reshape(TOKENS_PER_STEP, 256), Tensors.ofInts(targets,
                    TOKENS_PER_STEP), 0f);
            adam.zeroGrad();
            loss.backward();
            adam.step();
            return loss.item();
        }
    }

    @Override
    public long generate(int count) {
        model.train(false);
        try (var _ = modelScope.enter()) {
            int[] made = model.generate(new int[] {'\n'}, count, new Gpt.Sampling(0f, 0), new SplittableRandom(1),
                    t -> {});
            long checksum = 0;
            for (int i = 0; i < made.length; i++) {
                checksum += (i + 1L) * made[i];
            }
            return checksum;
        } finally {
            model.train(true);
        }
    }

    @Override
    public String describe() {
        return "zbmd, GPT " + Gpt.Config.reference() + ", " + backend.device().name();
    }

    @Override
    public void close() {
        adam.close();
        modelScope.close();
        backend.close();
    }
}
