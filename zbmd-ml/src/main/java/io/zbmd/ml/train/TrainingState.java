package io.zbmd.ml.train;

import io.zbmd.ml.checkpoint.Checkpoint;
import io.zbmd.ml.checkpoint.SafetensorsDType;
import io.zbmd.ml.checkpoint.TensorData;
import io.zbmd.ml.checkpoint.TensorSpec;
import io.zbmd.ml.data.DataLoader;
import io.zbmd.ml.data.LoaderPosition;
import io.zbmd.ml.nn.Layers.Dropout;
import io.zbmd.ml.nn.Module;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.Optimizer;
import io.zbmd.ml.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything a training run's future depends on, taken at a step boundary into a
 * {@link Checkpoint} and put back: the model's parameters and buffers, the optimizer's
 * moments, step count and learning rate (and Adam's per-parameter steps), the data loader's
 * position (its shuffles are a function of seed and epoch), and the random state of every
 * {@link Dropout} (its masks are a function of seed and call count). Restoring a capture
 * into a model, optimizer and loader built with the same config and seed, here or in a new
 * process, puts back every value the steps that follow read from these objects.
 *
 * <p>Names: model tensors as {@link Module#stateDict()} (PyTorch's); optimizer tensors as
 * {@link Optimizer#state()} plus {@code steps} (I64 scalar), {@code lr} (F64 scalar) and,
 * for Adam, {@code param_steps} (I64 per parameter). The random state is the text
 * {@code dropout:<module path>=<calls>,...} and the data position {@code <epoch>:<sample>}.
 */
public final class TrainingState {
    static final String STEPS = "steps";
    static final String LEARNING_RATE = "lr";
    static final String ADAM_PARAMETER_STEPS = "param_steps";
    /** Early stopping's state: the best score, validations since, whether it stopped the run (F64 [3]). */
    static final String VALIDATION = "validation";
    private static final String DROPOUT_PREFIX = "dropout:";

    private TrainingState() {}

    /**
     * Copies the state to the host (the training may go on changing its tensors).
     *
     * @param step the number of completed steps (the checkpoint's step)
     * @param model the model
     * @param optimizer its optimizer
     * @param loader the training data's loader, positioned at the next batch
     * @param config the run's config in words, recorded as is
     * @return the checkpoint
     */
    public static Checkpoint capture(long step, Module model, Optimizer optimizer, DataLoader loader, String config) {
        return snapshot(step, model, optimizer, loader, config).toCheckpoint();
    }

    /**
     * The first half of {@link #capture}, for taking a checkpoint while training goes on:
     * copies the small state (buffers, counts, positions) now, and refers to the parameters'
     * and optimizer moments' memory as it is now. {@link Optimizer#step()} computes into a
     * second set of buffers and exchanges them, so that memory keeps this step's values until
     * the second {@code step()} after this call: call {@link Snapshot#toCheckpoint()} before
     * then.
     *
     * @param step the number of completed steps
     * @param model the model
     * @param optimizer its optimizer
     * @param loader the training data's loader, positioned at the next batch
     * @param config the run's config in words
     * @return the snapshot
     */
    public static Snapshot snapshot(long step, Module model, Optimizer optimizer, DataLoader loader, String config) {
        return snapshot(step, model, optimizer, Objects.requireNonNull(loader, "loader").position(), config);
    }

    /**
     * {@link #snapshot(long, Module, Optimizer, DataLoader, String)} with the loader's position
     * given (when the loader belongs to another thread).
     *
     * @param step the number of completed steps
     * @param model the model
     * @param optimizer its optimizer
     * @param position where the training data's next batch starts
     * @param config the run's config in words
     * @return the snapshot
     */
    public static Snapshot snapshot(long step, Module model, Optimizer optimizer, LoaderPosition position,
            String config) {
        return new SnapshotPlan(model, optimizer).snapshot(step, position, config);
    }

    /**
     * The part of a model's state that a forward pass changes: its buffers (batch-norm
     * statistics) and its dropout modules' call counts, in a {@link SnapshotPlan}'s order.
     * A trainer keeps one per step boundary, to redo a step from it and to checkpoint from it
     * while the next step runs. Never changed once made.
     *
     * @param buffers each non-parameter state-dict tensor's values
     * @param dropoutCalls each dropout module's call count
     */
    public record ModelState(float[][] buffers, long[] dropoutCalls) {}

    /**
     * Snapshots of one model and optimizer, many times: the names, the tensors and the
     * dropout modules are looked up once (again only when the optimizer's set of state
     * tensors changes, see {@link Optimizer#stateVersion()}), so that a snapshot is a few
     * allocations. Checkpoints are rare, so this code runs interpreted: an interpreted walk of
     * the module tree with its string building would cost a few hundred microseconds.
     *
     * <p>{@link #snapshot(long, LoaderPosition, String, ModelState, double[])} may run on another thread
     * than the training, between a step's update and the next one's, with the model state
     * captured at the step boundary: the forward pass in between reads the parameters only.
     */
    public static final class SnapshotPlan {
        private final Module model;
        private final Optimizer optimizer;
        private final String[] modelNames;
        private final Tensor[] modelTensors;
        private final boolean[] parameter;
        /** The non-parameter model tensors, in state-dict order. */
        private final Tensor[] buffers;
        private final String[] dropoutPaths;
        private final Dropout[] dropouts;
        private String[] optimizerNames;
        private Tensor[] optimizerTensors;
        private long optimizerVersion = -1;

        /**
         * @param model the model
         * @param optimizer its optimizer
         * @throws IllegalArgumentException if a parameter is a view (not {@link Tensor#isWhole() whole})
         */
        public SnapshotPlan(Module model, Optimizer optimizer) {
            this.model = Objects.requireNonNull(model, "model");
            this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
            Set<Tensor> parameters = Collections.newSetFromMap(new IdentityHashMap<>());
            parameters.addAll(model.parameters());
            Map<String, Tensor> state = model.stateDict();
            modelNames = state.keySet().toArray(String[]::new);
            modelTensors = state.values().toArray(Tensor[]::new);
            parameter = new boolean[modelTensors.length];
            List<Tensor> nonParameters = new ArrayList<>();
            for (int i = 0; i < modelTensors.length; i++) {
                parameter[i] = parameters.contains(modelTensors[i]);
                if (parameter[i]) {
                    requireWhole(modelNames[i], modelTensors[i]);
                } else {
                    nonParameters.add(modelTensors[i]);
                }
            }
            buffers = nonParameters.toArray(Tensor[]::new);
            Map<String, Dropout> byPath = dropouts(model);
            dropoutPaths = byPath.keySet().toArray(String[]::new);
            dropouts = byPath.values().toArray(Dropout[]::new);
        }

        /** @return the buffers and dropout counts now */
        public ModelState captureModelState() {
            float[][] values = new float[buffers.length][];
            for (int i = 0; i < buffers.length; i++) {
                values[i] = buffers[i].toFloatArray();
            }
            long[] calls = new long[dropouts.length];
            for (int i = 0; i < dropouts.length; i++) {
                calls[i] = dropouts[i].calls();
            }
            return new ModelState(values, calls);
        }

        /** @param state what {@link #captureModelState()} took from this plan's model */
        public void restoreModelState(ModelState state) {
            for (int i = 0; i < buffers.length; i++) {
                buffers[i].copyFrom(state.buffers()[i]);
            }
            for (int i = 0; i < dropouts.length; i++) {
                dropouts[i].calls(state.dropoutCalls()[i]);
            }
        }

        /**
         * @param step the number of completed steps
         * @param position where the training data's next batch starts
         * @param config the run's config in words
         * @return the snapshot (see {@link TrainingState#snapshot})
         */
        public Snapshot snapshot(long step, LoaderPosition position, String config) {
            return snapshot(step, position, config, captureModelState(), null);
        }

        /**
         * @param step the number of completed steps
         * @param position where the training data's next batch starts
         * @param config the run's config in words
         * @param modelState the model's buffers and dropout counts at that step
         * @param validation early stopping's state (best score, validations since, stopped), or
         *     null for a run without it
         * @return the snapshot
         */
        public Snapshot snapshot(long step, LoaderPosition position, String config, ModelState modelState,
                double[] validation) {
            if (optimizerVersion != optimizer.stateVersion()) {
                Map<String, Tensor> state = optimizer.state();
                optimizerNames = state.keySet().toArray(String[]::new);
                optimizerTensors = state.values().toArray(Tensor[]::new);
                for (int i = 0; i < optimizerTensors.length; i++) {
                    requireWhole(optimizerNames[i], optimizerTensors[i]);
                }
                optimizerVersion = optimizer.stateVersion();
            }
            Entry[] entries = new Entry[modelTensors.length + optimizerTensors.length + 4];
            int e = 0;
            int buffer = 0;
            for (int i = 0; i < modelTensors.length; i++) {
                entries[e++] = parameter[i] ? new Entry(true, modelNames[i], null, modelTensors[i].aliasOfMemory())
                        : new Entry(true, modelNames[i], TensorData.ofFloats(modelState.buffers()[buffer++],
                                modelTensors[i].shape()), null);
            }
            for (int i = 0; i < optimizerTensors.length; i++) {
                entries[e++] = new Entry(false, optimizerNames[i], null, optimizerTensors[i].aliasOfMemory());
            }
            entries[e++] = new Entry(false, STEPS, TensorData.ofLongs(new long[] {optimizer.steps()}), null);
            entries[e++] = new Entry(false, LEARNING_RATE, TensorData.ofBytes(SafetensorsDType.F64,
                    doubleBytes(optimizer.lr())), null);
            if (optimizer instanceof Adam adam) {
                long[] steps = adam.parameterSteps();
                entries[e++] = new Entry(false, ADAM_PARAMETER_STEPS, TensorData.ofLongs(steps, steps.length), null);
            }
            if (validation != null) {
                ByteBuffer bytes = ByteBuffer.allocate(validation.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (double value : validation) {
                    bytes.putDouble(value);
                }
                entries[e++] = new Entry(false, VALIDATION, TensorData.ofBytes(SafetensorsDType.F64, bytes.array(),
                        validation.length), null);
            }
            StringBuilder rng = new StringBuilder(DROPOUT_PREFIX);
            for (int i = 0; i < dropouts.length; i++) {
                rng.append(i == 0 ? "" : ",").append(dropoutPaths[i]).append('=').append(modelState.dropoutCalls()[i]);
            }
            String at = new StringBuilder().append(position.epoch()).append(':').append(position.sampleInEpoch())
                    .toString();
            return new Snapshot(step, config, rng.toString(), at, List.of(Arrays.copyOf(entries, e)));
        }

        private static void requireWhole(String name, Tensor tensor) {
            if (!tensor.isWhole()) {
                throw new IllegalArgumentException("'" + name + "' is a view; parameters and optimizer state must be"
                        + " whole tensors");
            }
        }
    }

    /**
     * One tensor of a snapshot: its values now, or where to read them later (the memory it
     * had when the snapshot was taken).
     */
    private record Entry(boolean model, String name, TensorData now, Tensor later) {
        TensorData values() {
            return now != null ? now : floats(later);
        }
    }

    /**
     * A training state taken at a step boundary whose large tensors are still to be copied
     * (see {@link TrainingState#snapshot}).
     */
    public static final class Snapshot {
        private final long step;
        private final String config;
        private final String rngState;
        private final String dataPosition;
        private final List<Entry> entries;

        private Snapshot(long step, String config, String rngState, String dataPosition, List<Entry> entries) {
            this.step = step;
            this.config = config;
            this.rngState = rngState;
            this.dataPosition = dataPosition;
            this.entries = entries;
        }

        /** @return the number of completed steps it was taken after */
        public long step() {
            return step;
        }

        /**
         * Copies the parameters and moments to the host and makes the checkpoint. May be
         * called again (after a device error, say) while the memory is still valid.
         *
         * @return the checkpoint
         */
        public Checkpoint toCheckpoint() {
            Checkpoint.Builder builder = Checkpoint.builder(step).config(config).rngState(rngState)
                    .dataPosition(dataPosition);
            for (Entry entry : entries) {
                if (entry.model()) {
                    builder.modelTensor(entry.name(), entry.values());
                } else {
                    builder.optimizerTensor(entry.name(), entry.values());
                }
            }
            return builder.build();
        }
    }

    /**
     * Puts a captured state back, in place. Everything is checked before anything changes.
     *
     * @param checkpoint what {@link #capture} made, from this process or a file
     * @param model a model of the same architecture
     * @param optimizer of the same kind, over that model's parameters
     * @param loader over the same dataset with the same config
     * @throws io.zbmd.ml.checkpoint.IncompatibleCheckpointException listing every mismatching
     *     model tensor, if the model differs
     * @throws IllegalArgumentException naming the entry, if the optimizer state, the random
     *     state or the data position does not fit
     */
    public static void restore(Checkpoint checkpoint, Module model, Optimizer optimizer, DataLoader loader) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        Map<String, Tensor> modelTensors = model.stateDict();
        checkpoint.verifyCompatible(TensorSpec.ofAll(modelTensors));
        Map<String, float[]> moments = new LinkedHashMap<>();
        long steps = -1;
        double lr = Double.NaN;
        long[] adamSteps = null;
        for (Map.Entry<String, TensorData> entry : checkpoint.optimizerState().entrySet()) {
            TensorData data = entry.getValue();
            switch (entry.getKey()) {
                case STEPS -> steps = scalarLong(data, STEPS);
                case LEARNING_RATE -> lr = scalarDouble(data);
                case ADAM_PARAMETER_STEPS -> adamSteps = data.toLongArray();
                case VALIDATION -> { } // read by validationState
                default -> moments.put(entry.getKey(), data.toFloatArray());
            }
        }
        if (steps < 0 || !(lr > 0)) {
            throw new IllegalArgumentException("checkpoint of step " + checkpoint.step() + " lacks the optimizer's "
                    + STEPS + " or " + LEARNING_RATE + " (steps " + steps + ", lr " + lr + ")");
        }
        if ((optimizer instanceof Adam) != (adamSteps != null)) {
            throw new IllegalArgumentException("checkpoint of step " + checkpoint.step() + " was taken with "
                    + (adamSteps != null ? "Adam" : "another optimizer than Adam") + "; this run uses "
                    + optimizer.getClass().getSimpleName());
        }
        if (optimizer instanceof Adam adam && adamSteps.length != adam.parameterSteps().length) {
            throw new IllegalArgumentException("checkpoint of step " + checkpoint.step() + " has Adam steps for "
                    + adamSteps.length + " parameters; this optimizer has " + adam.parameterSteps().length);
        }
        LoaderPosition position = parsePosition(checkpoint.dataPosition());
        if (position.sampleInEpoch() > loader.dataset().size()) {
            throw new IllegalArgumentException("checkpoint of step " + checkpoint.step() + " is at sample "
                    + position.sampleInEpoch() + " of an epoch; " + loader.dataset().name() + " has "
                    + loader.dataset().size() + " (another dataset?)");
        }
        Map<Dropout, Long> dropoutCalls = parseRngState(checkpoint.rngState(), model);
        optimizer.loadState(moments); // the last check: it validates before it changes anything
        if (optimizer instanceof Adam adam) {
            adam.parameterSteps(adamSteps);
        }
        optimizer.steps(steps);
        optimizer.lr(lr);
        checkpoint.model().forEach((name, data) -> modelTensors.get(name).copyFrom(data.toFloatArray()));
        dropoutCalls.forEach(Dropout::calls);
        loader.seek(position);
    }

    /**
     * Puts a checkpoint's model tensors (parameters and buffers) into a model, for evaluation
     * or inference; the optimizer state is not read. Everything is checked first.
     *
     * @param checkpoint a training checkpoint, or any with the model's tensor names
     * @param model a model of the same architecture
     * @throws io.zbmd.ml.checkpoint.IncompatibleCheckpointException listing every mismatching
     *     tensor, if the model differs
     */
    public static void loadModel(Checkpoint checkpoint, Module model) {
        Map<String, Tensor> tensors = model.stateDict();
        checkpoint.verifyCompatible(TensorSpec.ofAll(tensors));
        checkpoint.model().forEach((name, data) -> tensors.get(name).copyFrom(data.toFloatArray()));
    }

    /**
     * @param checkpoint a training checkpoint
     * @return early stopping's state in it (best score, validations since, stopped: 1), or
     *     null if the run that wrote it does not validate
     */
    static double[] validationState(Checkpoint checkpoint) {
        TensorData data = checkpoint.optimizerState().get(VALIDATION);
        if (data == null) {
            return null;
        }
        if (data.dtype() != SafetensorsDType.F64 || data.spec().elementCount() != 3) {
            throw new IllegalArgumentException("optimizer tensor '" + VALIDATION + "' must be three F64, is "
                    + data.spec());
        }
        ByteBuffer bytes = ByteBuffer.wrap(data.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        return new double[] {bytes.getDouble(), bytes.getDouble(), bytes.getDouble()};
    }

    /**
     * @param checkpoint a checkpoint
     * @return the first model tensor holding a NaN or an infinity, with the value and its
     *     index, e.g. "NaN at 1.weight[17]"; empty if every value is finite
     */
    public static Optional<String> firstNonFinite(Checkpoint checkpoint) {
        for (Map.Entry<String, TensorData> entry : checkpoint.model().entrySet()) {
            Optional<String> found = firstNonFinite(entry.getKey(), entry.getValue().toFloatArray());
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /**
     * @param model a model
     * @return its first tensor holding a NaN or an infinity, as {@link #firstNonFinite(Checkpoint)}
     */
    public static Optional<String> firstNonFinite(Module model) {
        for (Map.Entry<String, Tensor> entry : model.stateDict().entrySet()) {
            Optional<String> found = firstNonFinite(entry.getKey(), entry.getValue().toFloatArray());
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> firstNonFinite(String name, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return Optional.of(values[i] + " at " + name + "[" + i + "]");
            }
        }
        return Optional.empty();
    }

    /**
     * A fingerprint of a model's state for comparing runs: SHA-256 over every state-dict entry's
     * name and float32 bits, in state-dict order.
     *
     * @param model the model
     * @return 64 hex digits
     */
    public static String fingerprint(Module model) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        for (Map.Entry<String, Tensor> entry : model.stateDict().entrySet()) {
            digest.update(entry.getKey().getBytes(StandardCharsets.UTF_8));
            float[] values = entry.getValue().toFloatArray();
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            digest.update(bytes);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static TensorData floats(Tensor tensor) {
        return TensorData.ofFloats(tensor.toFloatArray(), tensor.shape());
    }

    private static byte[] doubleBytes(double value) {
        return ByteBuffer.allocate(Double.BYTES).order(ByteOrder.LITTLE_ENDIAN).putDouble(value).array();
    }

    private static long scalarLong(TensorData data, String name) {
        long[] values = data.toLongArray();
        if (values.length != 1) {
            throw new IllegalArgumentException("optimizer tensor '" + name + "' must hold one value, holds "
                    + values.length);
        }
        return values[0];
    }

    private static double scalarDouble(TensorData data) {
        if (data.dtype() != SafetensorsDType.F64 || data.spec().elementCount() != 1) {
            throw new IllegalArgumentException("optimizer tensor '" + LEARNING_RATE + "' must be one F64, is "
                    + data.spec());
        }
        return ByteBuffer.wrap(data.toByteArray()).order(ByteOrder.LITTLE_ENDIAN).getDouble();
    }

    /** The dropout modules by path, in path order, so that the text is canonical. */
    private static Map<String, Dropout> dropouts(Module model) {
        Map<String, Dropout> dropouts = new TreeMap<>();
        model.namedModules().forEach((path, module) -> {
            if (module instanceof Dropout dropout) {
                dropouts.put(path, dropout);
            }
        });
        return dropouts;
    }

    private static Map<Dropout, Long> parseRngState(String text, Module model) {
        Map<String, Dropout> dropouts = dropouts(model);
        if (!text.startsWith(DROPOUT_PREFIX)) {
            throw new IllegalArgumentException("random state '" + text + "' does not start with '" + DROPOUT_PREFIX
                    + "'; was the checkpoint written by TrainingState.capture?");
        }
        String body = text.substring(DROPOUT_PREFIX.length());
        Map<Dropout, Long> calls = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (String part : body.isEmpty() ? new String[0] : body.split(",", -1)) {
            int equals = part.lastIndexOf('=');
            Dropout dropout = equals > 0 ? dropouts.get(part.substring(0, equals)) : null;
            long value = -1;
            try {
                value = equals > 0 ? Long.parseLong(part.substring(equals + 1)) : -1;
            } catch (NumberFormatException e) {
                // reported below
            }
            if (dropout == null || value < 0) {
                unknown.add(part);
            } else {
                calls.put(dropout, value);
            }
        }
        if (!unknown.isEmpty() || calls.size() != dropouts.size()) {
            throw new IllegalArgumentException("random state '" + text + "' does not fit the model's dropout modules "
                    + dropouts.keySet() + (unknown.isEmpty() ? "" : "; not understood: " + unknown));
        }
        return calls;
    }

    private static LoaderPosition parsePosition(String text) {
        int colon = text.indexOf(':');
        try {
            return new LoaderPosition(Integer.parseInt(text.substring(0, colon)),
                    Integer.parseInt(text.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("data position '" + text + "' is not <epoch>:<sample in epoch>", e);
        }
    }
}
