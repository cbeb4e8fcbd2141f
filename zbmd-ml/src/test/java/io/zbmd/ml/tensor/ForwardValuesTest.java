package io.zbmd.ml.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.zbmd.gpu.DType;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Small forward results against values worked out by hand. */
class ForwardValuesTest {
    private static final Offset<Float> CLOSE = within(1e-5f);
    private static final float LN2 = (float) Math.log(2);
    private static final float LN3 = (float) Math.log(3);

    private CpuBackend backend;
    private TensorScope scope;

    @BeforeEach
    void open() {
        backend = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(64L << 20));
        scope = TensorScope.open(backend);
    }

    @AfterEach
    void close() {
        scope.close();
        assertThat(backend.memory().bytesInUse()).as("tensor memory after the scope closed").isZero();
        backend.close();
    }

    private static void assertValues(Tensor t, float... expected) {
        float[] actual = t.toFloatArray();
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("element %d of %s", i, t).isCloseTo(expected[i], CLOSE);
        }
    }

    @Test
    void broadcastingArithmetic() {
        Tensor a = Tensors.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertValues(a.add(Tensors.of(new float[] {10, 20, 30}, 3)), 11, 22, 33, 14, 25, 36);
        assertValues(a.add(Tensors.of(new float[] {100, 200}, 2, 1)), 101, 102, 103, 204, 205, 206);
        assertValues(a.sub(1f).mul(Tensors.of(new float[] {2}, 1)).div(4f), 0, 0.5f, 1, 1.5f, 2, 2.5f);
        assertThat(Tensors.of(new float[] {1, 2}, 2, 1).add(Tensors.of(new float[] {1, 2, 3}, 1, 3)).shape())
                .containsExactly(2, 3);
    }

    @Test
    void badShapesNameBothShapes() {
        Tensor a = Tensors.zeros(2, 3);
        assertThatThrownBy(() -> a.add(Tensors.zeros(4))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]").hasMessageContaining("[4]");
        assertThatThrownBy(() -> a.matmul(Tensors.zeros(4, 5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]").hasMessageContaining("[4, 5]");
        assertThatThrownBy(() -> a.reshape(4, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]").hasMessageContaining("[4, 2]");
    }

    @Test
    void matrixProducts() {
        Tensor a = Tensors.of(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor b = Tensors.of(new float[] {5, 6, 7, 8}, 2, 2);
        assertValues(a.matmul(b), 19, 22, 43, 50);
        assertValues(a.transpose(0, 1).matmul(b), 26, 30, 38, 44);
        Tensor batched = Tensors.of(new float[] {1, 2, 3, 4, 1, 0, 0, 1}, 2, 2, 2);
        Tensor product = batched.matmul(b);
        assertThat(product.shape()).containsExactly(2, 2, 2);
        assertValues(product, 19, 22, 43, 50, 5, 6, 7, 8);
        Tensor row = Tensors.of(new float[] {1, 2}, 2);
        assertValues(row.matmul(b), 19, 22);
        assertThat(row.matmul(b).shape()).containsExactly(2);
        assertValues(b.matmul(row), 17, 23);
        assertValues(row.matmul(row), 5);
    }

    @Test
    void reductions() {
        Tensor x = Tensors.of(new float[] {1, 5, 3, 4, 2, 6}, 2, 3);
        assertThat(x.sum().item()).isEqualTo(21f);
        assertValues(x.sum(false, 0), 5, 7, 9);
        assertValues(x.mean(false, 1), 3, 4);
        assertThat(x.mean(true, 1).shape()).containsExactly(2, 1);
        assertValues(x.max(1, false), 5, 6);
        assertThat(x.argmax().toIntArray()).containsExactly(1, 2);
    }

    @Test
    void elementWiseFunctions() {
        Tensor x = Tensors.of(new float[] {-1, 0, 0.5f, 1, 2}, 5);
        assertValues(x.relu(), 0, 0, 0.5f, 1, 2);
        assertValues(x.gelu(), -0.15865525f, 0, 0.34573123f, 0.84134475f, 1.9544997f);
        assertValues(x.tanh(), -0.7615942f, 0, 0.46211716f, 0.7615942f, 0.9640276f);
        assertValues(x.sigmoid(), 0.26894142f, 0.5f, 0.62245935f, 0.7310586f, 0.8807971f);
        assertValues(x.exp(), 0.36787945f, 1, 1.6487212f, 2.7182817f, 7.389056f);
        assertValues(Tensors.of(new float[] {1, 2, 4}, 3).log(), 0, LN2, 2 * LN2);
        assertValues(x.square(), 1, 0, 0.25f, 1, 4);
        assertValues(x.abs().sqrt(), 1, 0, 0.70710677f, 1, 1.4142135f);
    }

    @Test
    void softmaxAndLosses() {
        Tensor logits = Tensors.of(new float[] {0, LN2, LN3}, 1, 3);
        assertValues(logits.softmax(-1), 1 / 6f, 2 / 6f, 3 / 6f);
        assertValues(logits.logSoftmax(-1), (float) -Math.log(6), (float) -Math.log(3), -LN2);
        Tensor label = Tensors.ofInts(new int[] {2}, 1);
        assertThat(F.crossEntropy(logits, label, 0f).item()).isCloseTo(LN2, CLOSE);
        // (1 - ε)·(−log p_y) + ε/K·Σ(−log p_k), as PyTorch's label_smoothing
        float smoothed = 0.9f * LN2 + 0.1f * (float) (Math.log(6) + Math.log(3) + Math.log(2)) / 3;
        assertThat(F.crossEntropy(logits, label, 0.1f).item()).isCloseTo(smoothed, CLOSE);
        Tensor prediction = Tensors.of(new float[] {1, 2, 3}, 3);
        assertThat(F.mse(prediction, Tensors.of(new float[] {1, 0, 0}, 3)).item()).isCloseTo(13 / 3f, CLOSE);
    }

    @Test
    void convolution() {
        Tensor x = Tensors.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Tensor w = Tensors.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        Tensor b = Tensors.of(new float[] {0.5f}, 1);
        assertValues(F.conv2d(x, w, b, 1, 0), 37.5f, 47.5f, 67.5f, 77.5f);
        Tensor strided = F.conv2d(x, w, b, 2, 1);
        assertThat(strided.shape()).containsExactly(1, 1, 2, 2);
        assertValues(strided, 4.5f, 18.5f, 36.5f, 77.5f);
        // Two output channels over two input channels: the second sums both bottom-right corners.
        Tensor x2 = Tensors.of(new float[] {1, 2, 3, 4, 10, 20, 30, 40}, 1, 2, 2, 2);
        Tensor w2 = Tensors.of(new float[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1}, 2, 2, 2, 2);
        assertValues(F.conv2d(x2, w2, null, 1, 0), 1, 44);
    }

    @Test
    void pooling() {
        float[] ramp = new float[16];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = i;
        }
        Tensor x = Tensors.of(ramp, 1, 1, 4, 4);
        assertValues(F.maxPool2d(x, 2, 2, 0), 5, 7, 13, 15);
        assertValues(F.avgPool2d(x, 2, 2, 0), 2.5f, 4.5f, 10.5f, 12.5f);
        assertValues(F.maxPool2d(x, 3, 1, 0), 10, 11, 14, 15);
    }

    @Test
    void normalisation() {
        float a = 1.3416408f;
        float b = 0.4472136f;
        Tensor x = Tensors.of(new float[] {1, 2, 3, 4}, 1, 4);
        assertValues(F.layerNorm(x, Tensors.ones(4), Tensors.zeros(4), 0f), -a, -b, b, a);
        assertValues(F.layerNorm(x, Tensors.full(2f, 4), Tensors.ones(4), 0f), 1 - 2 * a, 1 - 2 * b, 1 + 2 * b,
                1 + 2 * a);

        Tensor images = Tensors.of(new float[] {1, 3, 5, 7}, 2, 1, 1, 2);
        Tensor runningMean = Tensors.zeros(1);
        Tensor runningVar = Tensors.ones(1);
        Tensor y = F.batchNorm(images, Tensors.ones(1), Tensors.zeros(1), runningMean, runningVar, true, 0.1f, 0f);
        assertValues(y, -a, -b, b, a);
        assertValues(runningMean, 0.4f); // 0.9·0 + 0.1·4
        assertValues(runningVar, 0.9f + 0.1f * 20 / 3f); // unbiased variance 20/3
        Tensor eval = F.batchNorm(images, Tensors.ones(1), Tensors.zeros(1), Tensors.full(4f, 1), Tensors.full(4f, 1),
                false, 0.1f, 0f);
        assertValues(eval, -1.5f, -0.5f, 0.5f, 1.5f);
    }

    @Test
    void embeddingAndAttention() {
        Tensor table = Tensors.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        assertValues(F.embedding(Tensors.ofInts(new int[] {2, 0}, 2), table), 5, 6, 1, 2);

        Tensor q = Tensors.of(new float[] {1, 1}, 1, 2, 1);
        Tensor k = Tensors.of(new float[] {0, LN3}, 1, 2, 1);
        Tensor v = Tensors.of(new float[] {4, 8}, 1, 2, 1);
        // weights softmax(0, ln 3) = (1/4, 3/4): 4/4 + 8·3/4 = 7; causally the first row sees only itself
        assertValues(F.scaledDotProductAttention(q, k, v, false), 7, 7);
        assertValues(F.scaledDotProductAttention(q, k, v, true), 4, 7);
    }

    @Test
    void dropoutKeepsExpectationAndIsSeeded() {
        Tensor x = Tensors.ones(1000);
        float[] first = F.dropout(x, 0.25f, true, 7).toFloatArray();
        float[] again = F.dropout(x, 0.25f, true, 7).toFloatArray();
        assertThat(again).containsExactly(first);
        int kept = 0;
        for (float value : first) {
            assertThat(value).isIn(0f, 1 / 0.75f);
            kept += value == 0 ? 0 : 1;
        }
        assertThat(kept).isBetween(700, 800);
        assertThat(F.dropout(x, 0.25f, false, 7).toFloatArray()).containsOnly(1f);
    }

    @Test
    void storageConversionsRoundToNearestEven() {
        float step = (float) Math.pow(2, -8);
        Tensor x = Tensors.of(new float[] {1f, 1 + step, 1 + 3 * step, -2.5f, 1 / 3f}, 5);
        assertValues(x.to(DType.BF16).to(DType.F32), 1f, 1f, 1 + 4 * step, -2.5f, 0.33398438f);
        assertValues(x.to(DType.F16).to(DType.F32), 1f, 1 + step, 1 + 3 * step, -2.5f, 0.33325195f);
        assertThat(x.to(DType.BF16).buffer().bytes()).isLessThan(x.buffer().bytes());
        assertThat(Tensors.of(new float[] {2.9f, -2.9f}, 2).to(DType.I32).toIntArray()).containsExactly(2, -2);
    }

    @Test
    void viewsShareMemory() {
        Tensor x = Tensors.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertThat(x.reshape(3, 2).buffer()).isSameAs(x.buffer());
        Tensor t = x.transpose(0, 1);
        assertThat(t.buffer()).isSameAs(x.buffer());
        assertThat(t.isContiguous()).isFalse();
        assertValues(t, 1, 4, 2, 5, 3, 6);
        Tensor s = x.slice(1, 1, 3);
        assertThat(s.buffer()).isSameAs(x.buffer());
        assertThat(s.offset()).isEqualTo(1);
        assertValues(s, 2, 3, 5, 6);
        assertValues(x.permute(1, 0).contiguous(), 1, 4, 2, 5, 3, 6);
        assertValues(x.unsqueeze(0).flatten(0), 1, 2, 3, 4, 5, 6);
    }
}
