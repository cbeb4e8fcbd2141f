package io.zbmd.ml.optim;

import io.zbmd.ml.tensor.Tensor;
import java.util.List;

/** Gradient clipping by global norm, as PyTorch's {@code clip_grad_norm_}. */
public final class Clipping {
    private Clipping() {}

    /**
     * Scales every gradient by {@code maxNorm / totalNorm} when the total L2 norm exceeds
     * {@code maxNorm}.
     *
     * @param parameters whose gradients to clip (those without a gradient are skipped)
     * @param maxNorm the largest allowed total norm, positive
     * @return the total norm before clipping
     */
    public static double clipGradNorm(List<Tensor> parameters, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("maxNorm must be positive, got " + maxNorm);
        }
        double squares = 0;
        for (Tensor p : parameters) {
            Tensor g = p.grad();
            if (g != null) {
                squares += g.backend().sumOfSquares(g.numel(), g.buffer(), g.offset());
            }
        }
        double total = Math.sqrt(squares);
        double coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1) {
            for (Tensor p : parameters) {
                Tensor g = p.grad();
                if (g != null) {
                    g.backend().scale(g.numel(), (float) coefficient, g.buffer(), g.offset());
                }
            }
        }
        return total;
    }
}
