package io.zbmd.ml.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.gpu.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Checks an operation's gradient against central finite differences. The output is reduced
 * to a scalar with fixed random weights (so the whole Jacobian is exercised, not only its
 * column sums), and the scalar is computed in double precision on the host; float32 noise
 * still sets the tolerance, which is relative to the gradient's scale.
 */
final class GradCheck {
    private final Backend backend;
    private final String description;
    private final SplittableRandom random;
    private double epsilon = 1e-2;
    private double tolerance = 2e-2;
    private int maxProbesPerInput = 40;

    GradCheck(Backend backend, String description, long seed) {
        this.backend = backend;
        this.description = description;
        this.random = new SplittableRandom(seed);
    }

    GradCheck epsilon(double value) {
        epsilon = value;
        return this;
    }

    GradCheck tolerance(double value) {
        tolerance = value;
        return this;
    }

    /** Random inputs in [low, high). */
    float[] values(int[] shape, double low, double high) {
        float[] v = new float[Math.toIntExact(Shape.numel(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (low + (high - low) * random.nextDouble());
        }
        return v;
    }

    /**
     * @param op builds the output from the inputs (tensors requiring gradients)
     * @param inputs the input values
     * @param shapes their shapes
     */
    void check(Function<List<Tensor>, Tensor> op, List<float[]> inputs, List<int[]> shapes) {
        float[] weights;
        float[][] analytic = new float[inputs.size()][];
        try (TensorScope scope = TensorScope.open(backend)) {
            List<Tensor> tensors = make(inputs, shapes, true);
            Tensor out = op.apply(tensors);
            weights = values(out.shape(), -1, 1);
            out.backward(Tensors.of(weights, out.shape()));
            for (int i = 0; i < tensors.size(); i++) {
                Tensor grad = tensors.get(i).grad();
                analytic[i] = grad == null ? new float[inputs.get(i).length] : grad.toFloatArray();
            }
        }
        for (int i = 0; i < inputs.size(); i++) {
            float[] x = inputs.get(i);
            int probes = Math.min(x.length, maxProbesPerInput);
            for (int p = 0; p < probes; p++) {
                int j = x.length <= maxProbesPerInput ? p : random.nextInt(x.length);
                float saved = x[j];
                x[j] = (float) (saved + epsilon);
                double plus = loss(op, inputs, shapes, weights);
                x[j] = (float) (saved - epsilon);
                double minus = loss(op, inputs, shapes, weights);
                x[j] = saved;
                double numeric = (plus - minus) / (2 * epsilon);
                double scale = Math.max(1.0, Math.abs(numeric));
                assertThat(Math.abs(analytic[i][j] - numeric))
                        .as("%s: d/d input %d [%d]: analytic %s vs numeric %s", description, i, j, analytic[i][j], numeric)
                        .isLessThanOrEqualTo(tolerance * scale);
            }
        }
    }

    private double loss(Function<List<Tensor>, Tensor> op, List<float[]> inputs, List<int[]> shapes, float[] weights) {
        try (TensorScope scope = TensorScope.open(backend); var ignored = Autograd.noGrad()) {
            float[] y = op.apply(make(inputs, shapes, false)).toFloatArray();
            double total = 0;
            for (int k = 0; k < y.length; k++) {
                total += (double) y[k] * weights[k];
            }
            return total;
        }
    }

    private static List<Tensor> make(List<float[]> inputs, List<int[]> shapes, boolean grad) {
        List<Tensor> tensors = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            tensors.add(Tensors.of(inputs.get(i), shapes.get(i)).requiresGrad(grad));
        }
        return tensors;
    }
}
