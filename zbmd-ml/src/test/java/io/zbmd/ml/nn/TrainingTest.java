package io.zbmd.ml.nn;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.nn.Layers.Linear;
import io.zbmd.ml.nn.Layers.ReLU;
import io.zbmd.ml.optim.Adam;
import io.zbmd.ml.optim.Clipping;
import io.zbmd.ml.tensor.Autograd;
import io.zbmd.ml.tensor.F;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * End to end on synthetic data: an MLP learns two interleaved spirals (not linearly
 * separable, so the hidden layers must work), training is bit-reproducible for a given seed
 * and thread count, and every byte of tensor memory goes back to the pool.
 */
class TrainingTest {
    private static final int POINTS = 512;

    /** Two spirals in the plane, labels 0 and 1, from a seed. */
    private static float[][] spirals(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] xy = new float[POINTS * 2];
        float[] labels = new float[POINTS];
        for (int i = 0; i < POINTS; i++) {
            int label = i % 2;
            double t = 0.25 + 3 * Math.PI * random.nextDouble();
            double r = t / (3 * Math.PI);
            double angle = t + label * Math.PI;
            xy[2 * i] = (float) (r * Math.cos(angle) + 0.02 * random.nextGaussian());
            xy[2 * i + 1] = (float) (r * Math.sin(angle) + 0.02 * random.nextGaussian());
            labels[i] = label;
        }
        return new float[][] {xy, labels};
    }

    private record Outcome(float finalLoss, double accuracy, Map<String, float[]> weights) {}

    private static Outcome train(CpuBackend backend, long seed, int steps) {
        float[][] data = spirals(seed);
        int[] labels = new int[POINTS];
        for (int i = 0; i < POINTS; i++) {
            labels[i] = (int) data[1][i];
        }
        SplittableRandom init = new SplittableRandom(seed);
        try (TensorScope model = TensorScope.create(backend)) {
            Sequential net;
            try (var ignored = model.enter()) {
                net = new Sequential(new Linear(2, 64, true, init), new ReLU(), new Linear(64, 64, true, init),
                        new ReLU(), new Linear(64, 2, true, init));
            }
            float loss = Float.NaN;
            try (Adam adam = Adam.adamW(net.parameters(), 0.01)) {
                for (int step = 0; step < steps; step++) {
                    try (TensorScope ignored = TensorScope.open(backend)) {
                        Tensor out = net.forward(Tensors.of(data[0], POINTS, 2));
                        Tensor l = F.crossEntropy(out, Tensors.ofInts(labels, POINTS), 0.05f);
                        adam.zeroGrad();
                        l.backward();
                        Clipping.clipGradNorm(net.parameters(), 5.0);
                        adam.step();
                        loss = l.item();
                    }
                }
                assertThat(adam.state()).isNotEmpty();
            }
            double accuracy;
            try (TensorScope ignored = TensorScope.open(backend); var noGrad = Autograd.noGrad()) {
                int[] predicted = net.forward(Tensors.of(data[0], POINTS, 2)).argmax().toIntArray();
                int correct = 0;
                for (int i = 0; i < POINTS; i++) {
                    correct += predicted[i] == labels[i] ? 1 : 0;
                }
                accuracy = (double) correct / POINTS;
            }
            Map<String, float[]> weights = new LinkedHashMap<>();
            net.stateDict().forEach((name, t) -> weights.put(name, t.toFloatArray()));
            return new Outcome(loss, accuracy, weights);
        }
    }

    @Test
    void mlpLearnsTwoSpiralsAndReturnsAllMemory() {
        try (CpuBackend backend = CpuBackend.create(
                CpuConfig.defaults().withThreads(2).withMemoryBudgetBytes(64L << 20).withTrackAllocations(true))) {
            Outcome outcome = train(backend, 42, 400);
            // Label smoothing 0.05 puts the floor near 0.1; an untrained model starts at ln 2 ≈ 0.69.
            assertThat(outcome.finalLoss()).isLessThan(0.2f);
            assertThat(outcome.accuracy()).isGreaterThan(0.97);
            assertThat(backend.memory().bytesInUse()).as("tensor memory after training").isZero();
            assertThat(backend.memory().leakReport()).isEmpty();
        }
    }

    @Test
    void sameSeedSameThreadsSameWeightsBitForBit() {
        for (int threads = 1; threads <= 2; threads++) {
            CpuConfig config = CpuConfig.defaults().withThreads(threads).withMemoryBudgetBytes(64L << 20);
            Outcome first;
            Outcome second;
            try (CpuBackend backend = CpuBackend.create(config)) {
                first = train(backend, 7, 30);
            }
            try (CpuBackend backend = CpuBackend.create(config)) {
                second = train(backend, 7, 30);
            }
            assertThat(second.weights().keySet()).containsExactlyElementsOf(first.weights().keySet());
            for (String name : first.weights().keySet()) {
                assertThat(second.weights().get(name)).as("%s with %d threads", name, threads)
                        .containsExactly(first.weights().get(name));
            }
        }
    }
}
