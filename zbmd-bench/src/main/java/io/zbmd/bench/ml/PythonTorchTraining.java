package io.zbmd.bench.ml;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * PyTorch as its users run it: the same model in Python ({@code torch.nn}, {@code torch.optim.Adam},
 * fused or not), from zbmd's initial weights on the same batch, with the same number of
 * intra-op threads, in a Python process of its own that this class drives over a pipe (one
 * line per step, a few tens of microseconds beside a step of milliseconds). The script is
 * {@code torch_step.py} next to this class; it knows the examples' MLP and CNN.
 *
 * <p>Python with torch is found at {@code -Dzbmd.torch.python=PATH}, else at the virtual
 * environment {@code ./zbmd} sets up from the CPU wheel shipped on the reference machines
 * ({@value #VENV} under the home directory). Where there is none, {@link #python()} is empty
 * and its callers skip, saying so.
 */
final class PythonTorchTraining implements StepTraining {
    /** Where {@code ./zbmd} installs torch, relative to the home directory. */
    static final String VENV = ".cache/zbmd/torch-venv";

    private final PythonScript script;
    private final String describe;

    /**
     * @param model {@code mlp} or {@code cnn}, the script's name for one of the examples' models
     * @param features the batch every step trains on, row-major, as many rows as labels
     * @param labels the batch's class labels
     * @param parameters the initial parameters, in the model's registration order (PyTorch's
     *     {@code parameters()} order, with the same layouts)
     * @param threads torch's intra-op threads
     * @param fused {@code Adam(fused=True)} rather than PyTorch's default implementation
     * @throws IllegalStateException if Python with torch is missing or the script fails
     */
    PythonTorchTraining(String model, float[] features, int[] labels, List<float[]> parameters, int threads,
            boolean fused) {
        script = new PythonScript(List.of("torch_step.py"),
                dir -> Files.write(dir.resolve("state.bin"), stateBytes(features, labels, parameters)),
                dir -> List.of(model, dir.resolve("state.bin").toString(), Integer.toString(threads),
                        fused ? "1" : "0"));
        String[] fields = script.ready().split(" ");
        describe = "PyTorch " + fields[1] + " in Python, " + model + ", " + fields[2] + " intra-op threads, Adam"
                + (fused ? "(fused=True)" : " (default foreach)");
    }

    /** @return Python with torch, if this machine has it */
    static Optional<Path> python() {
        String configured = System.getProperty("zbmd.torch.python");
        Path path = configured != null ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), VENV, "bin", "python3");
        return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
    }

    /** @return why there is no Python torch peer, and how to get one */
    static String missing() {
        return "no Python with torch at -Dzbmd.torch.python or ~/" + VENV + " (./zbmd test or ./zbmd bench installs"
                + " it from the CPU wheel in /opt/wheels when there is one)";
    }

    private static byte[] stateBytes(float[] features, int[] labels, List<float[]> parameters) {
        int floats = parameters.stream().mapToInt(p -> p.length).sum() + features.length;
        ByteBuffer buffer = ByteBuffer.allocate(4 * (1 + parameters.size()) + 4 * floats + 4 * (1 + labels.length))
                .order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(parameters.size());
        for (float[] parameter : parameters) {
            buffer.putInt(parameter.length);
        }
        for (float[] parameter : parameters) {
            buffer.asFloatBuffer().put(parameter);
            buffer.position(buffer.position() + 4 * parameter.length);
        }
        buffer.putInt(labels.length);
        buffer.asFloatBuffer().put(features);
        buffer.position(buffer.position() + 4 * features.length);
        buffer.asIntBuffer().put(labels);
        return buffer.array();
    }

    @Override
    public float step() {
        return Float.parseFloat(ask("step"));
    }

    /** Makes the model's dropout layers the identity, as {@link ZbmdTraining#withoutDropout()}. */
    void withoutDropout() {
        String answer = ask("nodropout");
        if (!answer.equals("ok")) {
            throw new IllegalStateException("the PyTorch script could not turn dropout off: " + answer);
        }
    }

    /**
     * @param shapes each parameter's element count, in order
     * @return the current parameters, in the order they were given
     */
    List<float[]> parameterValues(List<float[]> shapes) {
        Path dump = script.directory().resolve("parameters.bin");
        String answer = ask("dump " + dump);
        if (!answer.equals("ok")) {
            throw new IllegalStateException("the PyTorch script could not write its parameters: " + answer);
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(dump)).order(ByteOrder.LITTLE_ENDIAN);
            List<float[]> values = new ArrayList<>();
            for (float[] shape : shapes) {
                float[] value = new float[shape.length];
                buffer.asFloatBuffer().get(value);
                buffer.position(buffer.position() + 4 * value.length);
                values.add(value);
            }
            return values;
        } catch (IOException e) {
            throw new IllegalStateException("could not read the PyTorch parameters: " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return describe;
    }

    private String ask(String command) {
        return script.ask(command);
    }

    @Override
    public void close() {
        script.close();
    }
}
