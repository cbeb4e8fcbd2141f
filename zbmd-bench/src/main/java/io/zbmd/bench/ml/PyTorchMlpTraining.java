package io.zbmd.bench.ml;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.List;

/**
 * The peer: the same MLP in PyTorch's CPU libtorch, written as a DJL user writes a training
 * loop: a {@link SequentialBlock} of {@link Linear} and ReLU blocks, a {@link Trainer} with
 * {@link Loss#softmaxCrossEntropyLoss()} and {@link Optimizer#adam()} at a fixed learning rate,
 * and per step a gradient collector around forward, loss and backward, then
 * {@link Trainer#step()} (DJL's PyTorch optimizer zeroes each gradient after its update). As
 * on zbmd's side, the batch is copied from the Java arrays in every step, into a sub-manager
 * closed after the step.
 *
 * <p>The weights are set to values given (zbmd's initial ones) so that both peers compute the
 * same numbers. Create it after {@link PyTorchRuntime#start(int)}.
 */
final class PyTorchMlpTraining implements StepTraining {
    private final StepBatch batch;
    private final long[] labels;
    private final Model model;
    private final Trainer trainer;
    private final String engine;

    /**
     * @param batch what every step trains on
     * @param initialParameters the weights and biases to start from, in the order and layout of
     *     {@link ZbmdTraining#parameterValues()}
     */
    PyTorchMlpTraining(StepBatch batch, List<float[]> initialParameters) {
        if (batch.model() != StepModel.MLP) {
            throw new IllegalArgumentException("the DJL peer trains the MLP only, not the " + batch.model().key());
        }
        this.batch = batch;
        // DJL's PyTorch pick (the loss's gather) takes int64 indices: converted once here, as a
        // data pipeline would, rather than in every step.
        this.labels = new long[batch.labels().length];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = batch.labels()[i];
        }
        SequentialBlock net = new SequentialBlock()
                .add(Linear.builder().setUnits(256).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(128).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(StepModel.CLASSES).build());
        this.model = Model.newInstance("mlp", Device.cpu(), PyTorchRuntime.ENGINE);
        try {
            model.setBlock(net);
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed((float) StepModel.MLP.learningRate())).build())
                    .optDevices(new Device[] {Device.cpu()});
            this.trainer = model.newTrainer(config);
            trainer.initialize(new Shape(StepModel.MLP.batchSize(), StepModel.MLP.features()));
            setParameters(net, initialParameters);
            this.engine = model.getNDManager().getEngine().getEngineName() + " "
                    + model.getNDManager().getEngine().getVersion();
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
    }

    private static void setParameters(SequentialBlock net, List<float[]> values) {
        List<Parameter> parameters = net.getParameters().values();
        if (parameters.size() != values.size()) {
            throw new IllegalArgumentException("the DJL MLP has " + parameters.size() + " parameters, "
                    + values.size() + " initial values were given");
        }
        for (int i = 0; i < parameters.size(); i++) {
            NDArray array = parameters.get(i).getArray();
            if (array.size() != values.get(i).length) {
                throw new IllegalArgumentException("parameter " + parameters.get(i).getName() + " of shape "
                        + array.getShape() + " cannot take " + values.get(i).length + " values");
            }
            array.set(values.get(i));
        }
    }

    @Override
    public float step() {
        try (NDManager stepManager = trainer.getManager().newSubManager()) {
            NDArray x = stepManager.create(batch.features(), new Shape(StepModel.MLP.batchSize(), StepModel.MLP.features()));
            NDArray y = stepManager.create(labels, new Shape(StepModel.MLP.batchSize()));
            float loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList logits = trainer.forward(new NDList(x));
                NDArray lossValue = trainer.getLoss().evaluate(new NDList(y), logits);
                collector.backward(lossValue);
                loss = lossValue.getFloat();
            }
            trainer.step();
            return loss;
        }
    }

    @Override
    public String describe() {
        return "DJL " + ai.djl.engine.Engine.getDjlVersion() + " with " + engine + " (CPU), "
                + PyTorchRuntime.threadsReport();
    }

    @Override
    public void close() {
        trainer.close();
        model.close();
    }
}
