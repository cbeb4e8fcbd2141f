package io.zbmd.bench.ml;

import io.zbmd.ml.nn.Gpt;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * PyTorch's side of the GPT benchmarks: {@code torch_gpt_bench.py} with the model of
 * {@code torch_gpt.py} (the one {@code GptTorchTest} checks step for step against zbmd's),
 * loaded with zbmd's initial weights, eager, AdamW at its default or fused; generation with a
 * key/value cache written as a PyTorch user writes one, under {@code torch.inference_mode()}. ({@code torch.compile} does not run here: its inductor needs the
 * {@code filelock} package, which the Python that runs the wheel does not have and cannot
 * fetch.)
 */
final class TorchGpt implements GptPeer {
    private final PythonScript script;
    private final String describe;

    TorchGpt(int threads, boolean fused) {
        Gpt.Config shape = Gpt.Config.reference();
        int[][] batch = GptPeer.batch();
        script = new PythonScript(List.of("torch_gpt_bench.py", "torch_gpt.py"), dir -> {
            ZbmdGpt.saveInitialWeights(dir.resolve("init.safetensors"));
            Files.writeString(dir.resolve("batch.json"), "{\"layers\": " + shape.layers() + ", \"heads\": "
                    + shape.heads() + ", \"width\": " + shape.width() + ", \"context\": " + shape.context()
                    + ", \"shape\": [" + BATCH + ", " + CONTEXT + "], \"inputs\": " + json(batch[0])
                    + ", \"targets\": " + json(batch[1]) + "}");
        }, dir -> List.of(dir.toString(), Integer.toString(threads), fused ? "1" : "0"));
        String[] fields = script.ready().split(" ");
        describe = "PyTorch " + fields[1] + " in Python, eager, GPT " + shape + ", " + fields[2] + " intra-op threads,"
                + " AdamW" + (fused ? "(fused=True)" : " (default foreach)");
    }

    private static String json(int[] values) {
        return Arrays.stream(values).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
    }

    @Override
    public float step() {
        return Float.parseFloat(script.ask("step"));
    }

    @Override
    public long generate(int count) {
        return Long.parseLong(script.ask("generate " + count));
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public void close() {
        script.close();
    }
}
