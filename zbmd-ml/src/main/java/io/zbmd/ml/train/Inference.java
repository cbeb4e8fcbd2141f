package io.zbmd.ml.train;

import io.zbmd.gpu.Backend;
import io.zbmd.ml.data.Batch;
import io.zbmd.ml.data.Column;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.Transform;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.tensor.Autograd;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import java.util.Arrays;
import java.util.Objects;

/**
 * A model used for inference: evaluation mode on the calling thread only (the model's own
 * training flag is not touched, see {@link Module#evaluating}), no autograd graph, inputs
 * prepared as the model was trained (the loader config's standardisation), in batches.
 *
 * <pre>{@code
 * Inference inference = Inference.of(model, config.loader());
 * int[] classes = inference.classify(Column.floats(pixels, n, 1, 28, 28));
 * }</pre>
 *
 * <p>Reads the model's weights as they are: do not predict with a model while it trains on
 * another thread; load a checkpoint into a model of its own for that
 * ({@link TrainingState#loadModel}, {@link io.zbmd.ml.checkpoint.Weights#load}).
 */
public final class Inference {
    /** Examples per forward pass. */
    static final int BATCH = 1000;
    /**
     * Tokens per forward pass when the examples are token sequences: a sequence model's
     * activations grow with the sequence (logits over the vocabulary, attention over the
     * positions), so a batch of them holds fewer examples.
     */
    static final int TOKENS_PER_BATCH = 8192;

    private final Module model;
    private final DataLoaderConfig preparation;
    private final Backend backend;

    private Inference(Module model, DataLoaderConfig preparation) {
        this.model = model;
        this.preparation = preparation;
        this.backend = model.parameters().getFirst().backend();
    }

    /**
     * @param model the model
     * @param training the loader config it was trained with: its standardisation is applied to
     *     raw inputs (its transforms, which may need targets, are not; transform the inputs first)
     * @return the inference view
     */
    public static Inference of(Module model, DataLoaderConfig training) {
        return new Inference(Objects.requireNonNull(model, "model"), Objects.requireNonNull(training, "training"));
    }

    /**
     * @param inputs a batch of inputs, already prepared, in the current {@link TensorScope}
     * @return the model's output, in that scope (no graph)
     */
    public Tensor forward(Tensor inputs) {
        try (var ignored = Autograd.noGrad()) {
            return Module.evaluating(() -> model.forward(inputs));
        }
    }

    /**
     * @param inputs raw inputs, examples along the first dimension (floats are standardised as
     *     in training; ints, such as token ids, go as they are)
     * @return the model's outputs, {@code [examples, ...output shape]}
     */
    public Column.Floats predict(Column inputs) {
        int examples = inputs.examples();
        float[] out = null;
        int[] outShape = null;
        int width = 0;
        for (int from = 0; from < examples; from += BATCH) {
            int to = Math.min(examples, from + BATCH);
            Column part = prepared(inputs.range(from, to));
            try (TensorScope scope = TensorScope.open(backend)) {
                Tensor output = forward(BatchTensors.of(part));
                float[] values = output.toFloatArray();
                if (out == null) {
                    outShape = output.shape();
                    width = values.length / (to - from);
                    out = new float[examples * width];
                }
                System.arraycopy(values, 0, out, from * width, values.length);
            }
        }
        if (out == null) {
            return Column.floats(new float[0], 0);
        }
        int[] shape = outShape.clone();
        shape[0] = examples;
        return Column.floats(out, shape);
    }

    /**
     * @param inputs raw inputs, as {@link #predict(Column)}
     * @return per example, the index of the model's highest output (its class)
     */
    public int[] classify(Column inputs) {
        Column.Floats outputs = predict(inputs);
        int[] shape = outputs.shape();
        if (shape.length != 2) {
            throw new IllegalArgumentException("classify needs a model whose output is [examples, classes]; this"
                    + " one's is " + Arrays.toString(shape));
        }
        int classes = shape[1];
        float[] values = outputs.values();
        int[] best = new int[shape[0]];
        for (int i = 0; i < best.length; i++) {
            int argmax = 0;
            for (int c = 1; c < classes; c++) {
                if (values[i * classes + c] > values[i * classes + argmax]) {
                    argmax = c;
                }
            }
            best[i] = argmax;
        }
        return best;
    }

    /**
     * @param dataset examples (their targets are not read)
     * @return the model's outputs for every example, in dataset order
     */
    public Column.Floats predict(Dataset dataset) {
        int[] all = new int[dataset.size()];
        Arrays.setAll(all, i -> i);
        return predict(dataset.inputs(all));
    }

    /** The standardisation of training, on float inputs. */
    private Column prepared(Column raw) {
        if (!(raw instanceof Column.Floats) || !preparation.standardizes()) {
            return raw;
        }
        Batch batch = new Batch(raw, Column.ints(new int[raw.examples()], raw.examples()), new int[raw.examples()], 0,
                0);
        return Transform.standardize(preparation.mean(), preparation.std()).apply(batch).inputs();
    }

    /** Evaluation of the loss and accuracy, batch by batch, in evaluation mode; see {@link Trainer#evaluate}. */
    DataLoader batches(Dataset dataset) {
        int batch = BATCH;
        if (dataset.size() > 0 && dataset.inputs(new int[] {0}) instanceof Column.Ints tokens
                && tokens.shape().length == 2) {
            batch = Math.max(1, Math.min(BATCH, TOKENS_PER_BATCH / Math.max(1, tokens.width())));
        }
        return DataLoader.create(dataset, new DataLoaderConfig(batch, 0, false, false, preparation.mean(),
                preparation.std(), preparation.transforms()));
    }
}
