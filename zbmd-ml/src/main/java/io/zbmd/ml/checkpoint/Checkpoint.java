package io.zbmd.ml.checkpoint;

import io.zbmd.ml.checkpoint.IncompatibleCheckpointException.Mismatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * Everything training needs to resume exactly where it was: the model's tensors under their
 * PyTorch names ({@code 0.weight}, a linear weight {@code [out, in]}), the optimizer's state
 * tensors (moments, by {@link io.zbmd.ml.optim.Optimizer#state()}'s names), the step, and the
 * caller's config, RNG state and data position as opaque strings.
 *
 * <p>On disk (see {@link CheckpointFile}) it is one safetensors file: model tensors under their
 * own names, optimizer tensors under {@link #OPTIMIZER_PREFIX}, the rest in
 * {@code __metadata__}. One file, not a weights file plus a training-state file, because one
 * rename makes one file durable atomically; two files would need a manifest or a directory
 * swap to never pair weights with the wrong moments. PyTorch and Hugging Face load the file as
 * it is; a model's {@code load_state_dict} wants the optimizer entries filtered out:
 * {@code {k: v for k, v in sd.items() if not k.startswith("optimizer.")}}.
 *
 * <p>Immutable, so thread-safe, as long as the tensors' memory is not changed (see
 * {@link TensorData}). Made with {@link #builder(long)}, or read with {@link CheckpointFile}.
 */
public final class Checkpoint {
    /**
     * The prefix of optimizer state tensors in the file. A model tensor may not start with it
     * (a model with a child module named {@code optimizer} is rejected, not silently mixed up).
     */
    public static final String OPTIMIZER_PREFIX = "optimizer.";

    private final long step;
    private final String zbmdVersion;
    private final String config;
    private final String rngState;
    private final String dataPosition;
    private final SequencedMap<String, TensorData> model;
    private final SequencedMap<String, TensorData> optimizerState;
    private final Path source;

    Checkpoint(long step, String zbmdVersion, String config, String rngState, String dataPosition,
            SequencedMap<String, TensorData> model, SequencedMap<String, TensorData> optimizerState, Path source) {
        this.step = step;
        this.zbmdVersion = zbmdVersion;
        this.config = config;
        this.rngState = rngState;
        this.dataPosition = dataPosition;
        this.model = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(model));
        this.optimizerState = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(optimizerState));
        this.source = source;
    }

    /**
     * @param step the training step the checkpoint is taken after, 0 or more
     * @return a builder, with empty config, RNG state and data position and no tensors
     * @throws IllegalArgumentException if {@code step} is negative
     */
    public static Builder builder(long step) {
        return new Builder(step);
    }

    /** @return the training step (updates applied) */
    public long step() {
        return step;
    }

    /** @return the zbmd version that wrote it (this one's, for a checkpoint not read from a file) */
    public String zbmdVersion() {
        return zbmdVersion;
    }

    /** @return the training config, as the caller serialised it */
    public String config() {
        return config;
    }

    /** @return the random generators' state, as the caller serialised it */
    public String rngState() {
        return rngState;
    }

    /** @return where the data loader is, as the caller serialised it */
    public String dataPosition() {
        return dataPosition;
    }

    /** @return the model's tensors by PyTorch name, unmodifiable */
    public SequencedMap<String, TensorData> model() {
        return model;
    }

    /** @return the optimizer's tensors by their names without {@link #OPTIMIZER_PREFIX}, unmodifiable */
    public SequencedMap<String, TensorData> optimizerState() {
        return optimizerState;
    }

    /** @return the file it was read from, or empty if it was built in memory */
    public Optional<Path> source() {
        return Optional.ofNullable(source);
    }

    /** @return the model tensors' types and shapes by name */
    public Map<String, TensorSpec> modelSpecs() {
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        model.forEach((name, data) -> specs.put(name, data.spec()));
        return Collections.unmodifiableMap(specs);
    }

    /**
     * Checks that the model tensors are exactly the ones a model has: same names, dtypes and
     * shapes ({@code checkpoint.verifyCompatible(TensorSpec.ofAll(model.stateDict()))}).
     * Optimizer state is not checked: it follows the parameters.
     *
     * @param expected the model's tensor specs by name
     * @throws IncompatibleCheckpointException listing every missing, unexpected and mismatching
     *     tensor with both specs, if they differ in any way
     */
    public void verifyCompatible(Map<String, TensorSpec> expected) {
        Objects.requireNonNull(expected, "expected");
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<Mismatch> mismatched = new ArrayList<>();
        expected.forEach((name, spec) -> {
            TensorData stored = model.get(name);
            if (stored == null) {
                missing.add(name + " " + spec);
            } else if (!stored.spec().equals(spec)) {
                mismatched.add(new Mismatch(name, stored.spec(), spec));
            }
        });
        model.forEach((name, data) -> {
            if (!expected.containsKey(name)) {
                unexpected.add(name + " " + data.spec());
            }
        });
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            String what = source == null ? "checkpoint of step " + step
                    : "checkpoint " + source + " (step " + step + ")";
            throw new IncompatibleCheckpointException(what, missing, unexpected, mismatched);
        }
    }

    /**
     * @param other another checkpoint
     * @return whether both hold the same step, strings and tensors (names, specs and bytes),
     *     wherever they came from
     */
    public boolean contentEquals(Checkpoint other) {
        return step == other.step && zbmdVersion.equals(other.zbmdVersion) && config.equals(other.config)
                && rngState.equals(other.rngState) && dataPosition.equals(other.dataPosition)
                && sameTensors(model, other.model) && sameTensors(optimizerState, other.optimizerState);
    }

    private static boolean sameTensors(Map<String, TensorData> a, Map<String, TensorData> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, TensorData> entry : a.entrySet()) {
            if (!entry.getValue().contentEquals(b.get(entry.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "Checkpoint[step " + step + ", " + model.size() + " model and " + optimizerState.size()
                + " optimizer tensors" + (source == null ? "" : ", from " + source) + "]";
    }

    /**
     * Collects a checkpoint's parts. Not thread-safe; {@link #build()} may be called more than
     * once, each time giving an independent checkpoint.
     */
    public static final class Builder {
        private final long step;
        private String config = "";
        private String rngState = "";
        private String dataPosition = "";
        private final SequencedMap<String, TensorData> model = new LinkedHashMap<>();
        private final SequencedMap<String, TensorData> optimizerState = new LinkedHashMap<>();

        private Builder(long step) {
            if (step < 0) {
                throw new IllegalArgumentException("step must be 0 or more, was " + step);
            }
            this.step = step;
        }

        /**
         * @param value the training config, serialised by the caller (JSON, say)
         * @return this
         */
        public Builder config(String value) {
            config = Objects.requireNonNull(value, "config");
            return this;
        }

        /**
         * @param value the random generators' state, serialised by the caller
         * @return this
         */
        public Builder rngState(String value) {
            rngState = Objects.requireNonNull(value, "rngState");
            return this;
        }

        /**
         * @param value the data loader's position, serialised by the caller
         * @return this
         */
        public Builder dataPosition(String value) {
            dataPosition = Objects.requireNonNull(value, "dataPosition");
            return this;
        }

        /**
         * @param name the PyTorch name ({@code "0.weight"})
         * @param data its values
         * @return this
         * @throws IllegalArgumentException if the name is empty, taken, {@code "__metadata__"},
         *     or starts with {@link #OPTIMIZER_PREFIX}
         */
        public Builder modelTensor(String name, TensorData data) {
            requireName(name);
            if (name.startsWith(OPTIMIZER_PREFIX)) {
                throw new IllegalArgumentException("model tensor '" + name + "' starts with '" + OPTIMIZER_PREFIX
                        + "', which checkpoints reserve for optimizer state; rename the module");
            }
            put(model, name, data, "model");
            return this;
        }

        /**
         * @param tensors model tensors by PyTorch name, added in their order
         * @return this
         * @throws IllegalArgumentException as {@link #modelTensor}
         */
        public Builder modelTensors(Map<String, TensorData> tensors) {
            tensors.forEach(this::modelTensor);
            return this;
        }

        /**
         * @param name the optimizer's name for it ({@code "0.exp_avg"}), stored as
         *     {@code "optimizer.0.exp_avg"}
         * @param data its values
         * @return this
         * @throws IllegalArgumentException if the name is empty or taken
         */
        public Builder optimizerTensor(String name, TensorData data) {
            requireName(name);
            put(optimizerState, name, data, "optimizer");
            return this;
        }

        /**
         * @param tensors optimizer tensors by the optimizer's names, added in their order
         * @return this
         * @throws IllegalArgumentException as {@link #optimizerTensor}
         */
        public Builder optimizerTensors(Map<String, TensorData> tensors) {
            tensors.forEach(this::optimizerTensor);
            return this;
        }

        private static void requireName(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty() || name.equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor name must be non-empty and not \"__metadata__\", was '"
                        + name + "'");
            }
        }

        private static void put(Map<String, TensorData> into, String name, TensorData data, String kind) {
            Objects.requireNonNull(data, "tensor '" + name + "'");
            if (into.putIfAbsent(name, data) != null) {
                throw new IllegalArgumentException(kind + " tensor '" + name + "' was already added");
            }
        }

        /** @return the checkpoint, stamped with this zbmd's version */
        public Checkpoint build() {
            return new Checkpoint(step, ZbmdVersion.current(), config, rngState, dataPosition, model, optimizerState,
                    null);
        }
    }
}
