package io.zbmd.bench.ml;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.nn.Layers;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.nn.Sequential;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;

/**
 * zbmd's side: one of the examples' models on a CPU backend with {@code threads} compute
 * threads, Adam, and one tensor scope per step that releases the step's intermediates. The
 * batch is uploaded in every step, as a training loop fed from host memory does.
 */
final class ZbmdTraining implements StepTraining {
    private static final long MEMORY_BUDGET_BYTES = 1L << 30;

    private final StepBatch batch;
    private final int[] batchShape;
    private final Backend backend;
    private final TensorScope modelScope;
    private final Sequential net;
    private final Adam adam;

    /**
     * @param batch what every step trains on, and for which model
     * @param threads the backend's compute threads
     * @param config the rest of the backend's configuration ({@link CpuConfig#defaults()} for
     *     the benchmarks)
     */
    ZbmdTraining(StepBatch batch, int threads, CpuConfig config) {
        this(batch, CpuBackend.create(config.withThreads(threads).withMemoryBudgetBytes(MEMORY_BUDGET_BYTES)));
    }

    /**
     * @param batch what every step trains on, and for which model
     * @param backend where it trains; closed with this
     */
    ZbmdTraining(StepBatch batch, Backend backend) {
        this.batch = batch;
        this.batchShape = batch.model().batchShape();
        this.backend = backend;
        TensorScope scope = null;
        try {
            scope = TensorScope.create(backend);
            try (var _ = scope.enter()) {
                this.net = batch.model().create();
            }
            this.adam = Adam.adam(net.parameters(), batch.model().learningRate());
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
            Tensor x = Tensors.of(batch.features(), batchShape);
            Tensor y = Tensors.ofInts(batch.labels(), batch.labels().length);
            Tensor loss = F.crossEntropy(net.forward(x), y, 0f);
            adam.zeroGrad();
            loss.backward();
            adam.step();
            return loss.item();
        }
    }

    /**
     * @param model whose parameters
     * @return the model's initial parameters for {@link StepModel#SEED}, as
     *     {@link #parameterValues()} lists them (made on a small backend closed again)
     */
    static List<float[]> initialParameters(StepModel model) {
        CpuConfig config = CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20)
                .withGemm(CpuConfig.Gemm.JAVA);
        try (CpuBackend small = CpuBackend.create(config); TensorScope scope = TensorScope.create(small)) {
            List<float[]> values = new ArrayList<>();
            try (var _ = scope.enter()) {
                for (Tensor parameter : model.create().parameters()) {
                    values.add(parameter.toFloatArray());
                }
            }
            return values;
        }
    }

    /**
     * Puts the model's dropout layers in evaluation mode, where they are the identity, so that
     * a step computes exactly what another library's does from the same weights (each draws
     * its own masks otherwise). Batch norm stays in training mode.
     */
    void withoutDropout() {
        for (Module layer : net.modules()) {
            if (layer instanceof Layers.Dropout) {
                layer.train(false);
            }
        }
    }

    /**
     * @return the current parameters, in registration order (weights {@code [out, in]} or
     *     {@code [out, in, k, k]}, then biases, layer by layer: the order and layout of
     *     PyTorch's {@code nn.Linear}, {@code nn.Conv2d} and {@code nn.BatchNorm2d})
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
        return "zbmd, " + batch.model().key() + ", " + backend.device().name();
    }

    @Override
    public void close() {
        adam.close();
        modelScope.close();
        backend.close();
    }
}
