package io.zbmd.ml.checkpoint;

import java.util.List;
import java.util.Objects;

/**
 * A checkpoint does not fit the model it is meant for: tensors missing from it, tensors the
 * model does not have, or tensors of another dtype or shape. The message lists every one,
 * each with its dtype and shape (both, for a mismatch), so that a wrong config (a hidden size,
 * a layer count) shows at a glance.
 *
 * <p>Unchecked: restarting will not help, the configuration must change; a supervisor should
 * let it escalate. Immutable, so thread-safe.
 */
public final class IncompatibleCheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * One tensor that both have, with different specs.
     *
     * @param name its name
     * @param inCheckpoint what the checkpoint holds
     * @param inModel what the model expects
     */
    public record Mismatch(String name, TensorSpec inCheckpoint, TensorSpec inModel) {
        /** @return e.g. "0.weight: checkpoint F32 [256, 784], model F32 [128, 784]" */
        @Override
        public String toString() {
            return name + ": checkpoint " + inCheckpoint + ", model " + inModel;
        }
    }

    private final transient List<String> missing;
    private final transient List<String> unexpected;
    private final transient List<Mismatch> mismatched;

    /**
     * @param what the checkpoint, for the message ("checkpoint /x/step-…safetensors (step 12)")
     * @param missing "name spec" of each tensor the model has and the checkpoint does not
     * @param unexpected "name spec" of each tensor the checkpoint has and the model does not
     * @param mismatched each tensor both have with different specs
     */
    public IncompatibleCheckpointException(String what, List<String> missing, List<String> unexpected,
            List<Mismatch> mismatched) {
        super(describe(what, missing, unexpected, mismatched));
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
        this.mismatched = List.copyOf(mismatched);
    }

    private static String describe(String what, List<String> missing, List<String> unexpected,
            List<Mismatch> mismatched) {
        Objects.requireNonNull(what, "what");
        StringBuilder message = new StringBuilder(what).append(" does not fit the model: ")
                .append(missing.size()).append(" missing, ")
                .append(unexpected.size()).append(" unexpected, ")
                .append(mismatched.size()).append(" mismatching tensor(s); expected the same names, dtypes and shapes");
        list(message, "missing (in the model, not in the checkpoint)", missing);
        list(message, "unexpected (in the checkpoint, not in the model)", unexpected);
        list(message, "mismatching", mismatched);
        return message.toString();
    }

    private static void list(StringBuilder message, String heading, List<?> items) {
        if (!items.isEmpty()) {
            message.append("\n  ").append(heading).append(':');
            items.forEach(item -> message.append("\n    ").append(item));
        }
    }

    /** @return "name spec" of each tensor the model has and the checkpoint does not */
    public List<String> missing() {
        return missing;
    }

    /** @return "name spec" of each tensor the checkpoint has and the model does not */
    public List<String> unexpected() {
        return unexpected;
    }

    /** @return each tensor both have with different specs */
    public List<Mismatch> mismatched() {
        return mismatched;
    }
}
