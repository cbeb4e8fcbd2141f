package io.zbmd.bench.ml;

import io.zbmd.examples.ml.FashionMnistModels;
import io.zbmd.gpu.CpuBackend;
import io.zbmd.gpu.CpuConfig;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;

/**
 * zbmd's side: the examples' MLP on a CPU backend with {@code threads} compute threads, Adam,
 * and one tensor scope per step that releases the step's intermediates. The batch is
 * uploaded in every step, as a training loop fed from host memory does.
 */
final class ZbmdMlpTraining implements MlpTraining {
    private static final long MEMORY_BUDGET_BYTES = 1L << 30;

    private final MlpBatch batch;
    private final CpuBackend backend;
    private final TensorScope modelScope;
    private final Sequential net;
    private final Adam adam;

    /**
     * @param batch what every step trains on
     * @param threads the backend's compute threads
     */
    ZbmdMlpTraining(MlpBatch batch, int threads) {
        this.batch = batch;
        this.backend = CpuBackend.create(CpuConfig.defaults().withThreads(threads)
                .withMemoryBudgetBytes(MEMORY_BUDGET_BYTES));
        TensorScope scope = null;
        try {
            scope = TensorScope.create(backend);
            try (var _ = scope.enter()) {
                this.net = FashionMnistModels.mlp(MODEL_SEED);
            }
            this.adam = Adam.adam(net.parameters(), LEARNING_RATE);
            this.modelScope = scope;
        } catch (RuntimeException | Error e) {
            if (scope != null) {
                scope.close();
            }
            backend.close();
            throw e;
        }
    }

    @Override
    public float step() {
        try (TensorScope _ = TensorScope.open(backend)) {
            Tensor x = Tensors.of(batch.features(), MlpBatch.SIZE, MlpBatch.FEATURES);
            Tensor y = Tensors.ofInts(batch.labels(), MlpBatch.SIZE);
            Tensor loss = F.crossEntropy(net.forward(x), y, 0f);
            adam.zeroGrad();
            loss.backward();
            adam.step();
            return loss.item();
        }
    }

    /**
     * @return the model's initial parameters for {@link #MODEL_SEED}, as
     *     {@link #parameterValues()} lists them (made on a small backend closed again)
     */
    static List<float[]> initialParameters() {
        CpuConfig config = CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA);
        try (CpuBackend small = CpuBackend.create(config); TensorScope scope = TensorScope.create(small)) {
            List<float[]> values = new ArrayList<>();
            try (var _ = scope.enter()) {
                for (Tensor parameter : FashionMnistModels.mlp(MODEL_SEED).parameters()) {
                    values.add(parameter.toFloatArray());
                }
            }
            return values;
        }
    }

    /**
     * @return the current parameters, in registration order ({@code [out, in]} weights, then
     *     biases, layer by layer: the order and layout of PyTorch's {@code nn.Linear})
     */
    List<float[]> parameterValues() {
        List<float[]> values = new ArrayList<>();
        for (Tensor parameter : net.parameters()) {
            values.add(parameter.toFloatArray());
        }
        return values;
    }

    @Override
    public String describe() {
        return "zbmd, " + backend.device().name();
    }

    @Override
    public void close() {
        adam.close();
        modelScope.close();
        backend.close();
    }
}
