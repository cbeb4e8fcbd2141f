package io.zbmd.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The transcendental element-wise kernels (exp, log, tanh, sigmoid, GELU, and their
 * gradients) give the same bits whether the JIT has compiled them or not: a JVM that only
 * interprets ({@code -Xint}) computes what this one computes after warming them up. A
 * training run resumed in a fresh JVM repeats the steps of a warm one only if that holds
 * (the Vector API's own transcendentals do not: compiled, they call SVML; interpreted, a
 * Java fallback).
 */
class TranscendentalsTest {
    private static final UnaryOp[] OPS = {UnaryOp.EXP, UnaryOp.LOG, UnaryOp.TANH, UnaryOp.SIGMOID, UnaryOp.GELU};

    /** Every op's forward and backward outputs on fixed inputs, as hex, one line per op. */
    static String compute(int repeats) {
        float[] x = new float[1003];
        float[] dy = new float[x.length];
        SplittableRandom random = new SplittableRandom(17);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * 3);
            dy[i] = (float) random.nextGaussian();
        }
        StringBuilder out = new StringBuilder();
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(2).withMemoryBudgetBytes(16L << 20)
                .withVectorApi(true).withGemm(CpuConfig.Gemm.JAVA))) {
            for (UnaryOp op : OPS) {
                float[] in = x.clone();
                if (op == UnaryOp.LOG) {
                    for (int i = 0; i < in.length; i++) {
                        in[i] = Math.abs(in[i]) + 0.01f;
                    }
                }
                float[] y = new float[in.length];
                float[] dx = new float[in.length];
                for (int r = 0; r < repeats; r++) {
                    DeviceBuffer xb = upload(cpu, in);
                    DeviceBuffer yb = cpu.allocate(in.length);
                    DeviceBuffer dyb = upload(cpu, dy);
                    DeviceBuffer dxb = upload(cpu, new float[in.length]);
                    cpu.unary(op, in.length, xb, 0, yb, 0);
                    cpu.unaryBackward(op, in.length, xb, 0, yb, 0, dyb, 0, dxb, 0);
                    cpu.download(yb, 0, y, 0, y.length);
                    cpu.download(dxb, 0, dx, 0, dx.length);
                    for (DeviceBuffer b : List.of(xb, yb, dyb, dxb)) {
                        b.close();
                    }
                }
                out.append(op).append(' ').append(hex(y)).append(' ').append(hex(dx)).append('\n');
            }
        }
        return out.toString();
    }

    private static DeviceBuffer upload(CpuBackend cpu, float[] values) {
        DeviceBuffer buffer = cpu.allocate(values.length);
        cpu.upload(values, 0, buffer, 0, values.length);
        return buffer;
    }

    private static String hex(float[] values) {
        StringBuilder text = new StringBuilder();
        for (float v : values) {
            text.append(HexFormat.of().toHexDigits(Float.floatToRawIntBits(v)));
        }
        return text.toString();
    }

    /** The child JVM's side: computes once, interpreted, and prints. */
    public static final class InterpretedMain {
        public static void main(String[] args) {
            System.out.print(compute(1));
        }
    }

    @Test
    void compiledAndInterpretedCodeComputeTheSameBits() throws IOException, InterruptedException {
        String warm = compute(300);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xint", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                InterpretedMain.class.getName()));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String interpreted = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("the child JVM exited").isTrue();
        assertThat(child.exitValue()).isZero();
        String[] warmLines = warm.split("\n");
        String[] coldLines = interpreted.split("\n");
        assertThat(coldLines).hasSameSizeAs(warmLines);
        for (int i = 0; i < warmLines.length; i++) {
            String[] warmParts = warmLines[i].split(" ");
            String[] coldParts = coldLines[i].split(" ");
            assertThat(coldParts[0]).isEqualTo(warmParts[0]);
            for (int part = 1; part < warmParts.length; part++) {
                String what = warmParts[0] + (part == 1 ? " forward" : " backward");
                assertThat(coldParts[part]).as(what).hasSameSizeAs(warmParts[part]);
                int differing = 0;
                int first = -1;
                for (int at = 0; at < warmParts[part].length(); at += 8) {
                    if (!warmParts[part].regionMatches(at, coldParts[part], at, 8)) {
                        differing++;
                        first = first < 0 ? at / 8 : first;
                    }
                }
                assertThat(differing).as("%s: values whose interpreted and compiled bits differ (the first at %d)",
                        what, first).isZero();
            }
        }
    }

    /**
     * The exponential runs in vector lanes as a polynomial of its own (to be the same bits
     * compiled or interpreted); it must stay as accurate as float allows: within 2 ulp of
     * {@link Math#exp} over float's normal range, 0 far below it, infinite above, NaN for NaN,
     * in the lanes and in the scalar tail alike (1,000,003 inputs: not a multiple of any lane
     * count).
     */
    @Test
    void exponentialIsWithinTwoUlpOfMathExp() {
        int count = 1_000_003;
        float[] x = new float[count];
        for (int i = 0; i < count - 5; i++) {
            x[i] = -87.3f + (88.7f + 87.3f) * i / (count - 6);
        }
        float[] special = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, -120f, 89f};
        System.arraycopy(special, 0, x, count - 5, 5);
        float[] y = new float[count];
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(2).withMemoryBudgetBytes(64L << 20)
                .withVectorApi(true).withGemm(CpuConfig.Gemm.JAVA))) {
            DeviceBuffer xb = upload(cpu, x);
            DeviceBuffer yb = cpu.allocate(count);
            cpu.unary(UnaryOp.EXP, count, xb, 0, yb, 0);
            cpu.download(yb, 0, y, 0, count);
            xb.close();
            yb.close();
        }
        double worst = 0;
        float worstAt = 0;
        for (int i = 0; i < count - 5; i++) {
            float expected = (float) Math.exp(x[i]);
            double ulps = Math.abs(y[i] - expected) / Math.ulp(expected);
            if (ulps > worst) {
                worst = ulps;
                worstAt = x[i];
            }
        }
        assertThat(worst).as("the largest error, in ulp (at x = %s)", worstAt).isLessThanOrEqualTo(2);
        assertThat(new float[] {y[count - 5], y[count - 4], y[count - 2], y[count - 1]})
                .containsExactly(0f, Float.POSITIVE_INFINITY, 0f, Float.POSITIVE_INFINITY);
        assertThat(y[count - 3]).isNaN();
    }
}
