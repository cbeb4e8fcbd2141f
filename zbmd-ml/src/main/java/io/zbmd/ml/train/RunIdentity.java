package io.zbmd.ml.train;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.Device;
import io.zbmd.ml.data.Dataset;
import io.zbmd.ml.data.DataLoaderConfig;
import io.zbmd.ml.data.Transform;
import io.zbmd.ml.nn.Module;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything that decides a training run's weights, recorded in each of its checkpoints: a
 * checkpoint directory resumes only a run with the same identity, and refuses any other with
 * every difference named, so that no resume silently diverges from the run it continues.
 *
 * <p>That includes the choices of the machine that change the arithmetic's last bits: the
 * backend, its compute threads (the work is split by thread count), the matrix-multiply kernel
 * (Java or OpenBLAS, and OpenBLAS's version and CPU kernel) and the element-wise kernels'
 * lanes (the Vector API's width, or scalar code when the JVM lacks the
 * {@code jdk.incubator.vector} module). What does not decide the weights is not in it: faults
 * injected, checkpointing, limits, listeners, the actor system.
 *
 * @param model the model's modules, settings and tensor shapes ({@link Module#structure()})
 * @param data the training set's name and size, and how the loader batches and transforms it
 * @param task the loss, optimizer, learning rate, schedule, clipping and accumulation
 * @param epochs passes over the training set (the schedule's length depends on it)
 * @param compute what the arithmetic runs on
 * @param notes what else the caller says defines the run ({@link TrainerConfig#runConfig()})
 * @param parent what the run started from ({@link InitFrom}: its kind, the file's name and
 *     SHA-256); empty for the model's own initialisation
 */
public record RunIdentity(String model, String data, String task, int epochs, Compute compute, String notes,
        String parent) {
    /** The first line of an encoded identity; a checkpoint without it was written by another format. */
    static final String HEADER = "zbmd-run 1";

    /**
     * The machine's choices that change the last bits of the arithmetic.
     *
     * @param backend the device kind, "cpu" for instance
     * @param threads compute threads one kernel uses
     * @param gemm the matrix-multiply kernel, e.g. "OpenBLAS 0.3.21 ... Zen ... (native), 2 threads"
     * @param lanes the element-wise kernels, e.g. "vector-api-256" or "scalar"
     */
    public record Compute(String backend, int threads, String gemm, String lanes) {
        /** Checks for nulls. */
        public Compute {
            Objects.requireNonNull(backend, "backend");
            Objects.requireNonNull(gemm, "gemm");
            Objects.requireNonNull(lanes, "lanes");
        }

        /** @return what {@code backend} computes with */
        public static Compute of(Backend backend) {
            Device device = backend.device();
            return new Compute(device.kind(), device.threads(), capability(device, "gemm:"),
                    capability(device, "lanes:"));
        }

        private static String capability(Device device, String prefix) {
            return device.capabilities().stream().filter(c -> c.startsWith(prefix))
                    .map(c -> c.substring(prefix.length())).findFirst().orElse("");
        }
    }

    /** Checks for nulls. */
    public RunIdentity {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(compute, "compute");
        Objects.requireNonNull(notes, "notes");
        Objects.requireNonNull(parent, "parent");
    }

    /**
     * @param model the model, on the backend it trains on
     * @param train the training set
     * @param config how it is trained
     * @param parent what it starts from, as {@link InitFrom} describes it; empty for nothing
     * @return the identity of that run
     */
    public static RunIdentity of(Module model, Dataset train, TrainerConfig config, String parent) {
        DataLoaderConfig loader = config.loader();
        String data = String.format(Locale.ROOT, "%s/%d, batch=%d, seed=%d, shuffle=%s, drop_last=%s,"
                        + " standardize=%s/%s, transforms=[%s]", train.name(), train.size(), loader.batchSize(),
                loader.seed(), loader.shuffle(), loader.dropLast(), loader.mean(), loader.std(),
                String.join("; ", loader.transforms().stream().map(Transform::description).toList()));
        String task = config.task().describe()
                + (config.validation() == null ? "" : "," + config.validation().describe());
        return new RunIdentity(model.structure(), data, task, config.epochs(),
                Compute.of(model.parameters().getFirst().backend()), config.runConfig(), parent);
    }

    /** @return each field by name, in a fixed order */
    private Map<String, String> fields() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("model", model);
        fields.put("data", data);
        fields.put("task", task);
        fields.put("epochs", Integer.toString(epochs));
        fields.put("backend", compute.backend());
        fields.put("threads", Integer.toString(compute.threads()));
        fields.put("gemm", compute.gemm());
        fields.put("lanes", compute.lanes());
        fields.put("notes", notes);
        fields.put("parent", parent);
        return fields;
    }

    /**
     * @param recorded the identity of the run that wrote a checkpoint
     * @return one line per field that differs, naming it and both values; empty if none
     */
    public List<String> differencesFrom(RunIdentity recorded) {
        List<String> differences = new ArrayList<>();
        Map<String, String> theirs = recorded.fields();
        fields().forEach((name, ours) -> {
            if (!ours.equals(theirs.get(name))) {
                differences.add(name + ": the checkpoint's run had '" + theirs.get(name) + "', this run has '" + ours
                        + "'");
            }
        });
        return differences;
    }

    /** @return one {@code name=value} line per field after a header line, as checkpoints record it */
    public String encode() {
        StringBuilder text = new StringBuilder(HEADER);
        fields().forEach((name, value) -> text.append('\n').append(name).append('=').append(escape(value)));
        return text.toString();
    }

    /**
     * @param text what {@link #encode()} wrote
     * @return the identity; empty if the text is not one (a checkpoint of another format)
     */
    public static Optional<RunIdentity> decode(String text) {
        String[] lines = text.split("\n", -1);
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            return Optional.empty();
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int equals = lines[i].indexOf('=');
            if (equals < 1) {
                return Optional.empty();
            }
            fields.put(lines[i].substring(0, equals), unescape(lines[i].substring(equals + 1)));
        }
        try {
            return Optional.of(new RunIdentity(fields.get("model"), fields.get("data"), fields.get("task"),
                    Integer.parseInt(fields.get("epochs")), new Compute(fields.get("backend"),
                            Integer.parseInt(fields.get("threads")), fields.get("gemm"), fields.get("lanes")),
                    fields.get("notes"), fields.getOrDefault("parent", "")));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static String unescape(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                char next = value.charAt(++i);
                out.append(next == 'n' ? '\n' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
