package io.zbmd.ml.optim;

import static org.assertj.core.api.Assertions.assertThat;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.DeviceFaults;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceOutOfMemoryException;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import io.zbmd.testing.Seeds;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Optimizer#step()} is all or nothing: on a backend that fails kernels at random, a
 * step that throws leaves parameters, state and counts as they were, and the steps that
 * succeed, retried until they do, end bit for bit where a run without faults ends.
 */
class AtomicStepTest {

    static Stream<Long> seeds() {
        return Seeds.of(4);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aFailedStepChangesNothingAndRetriedStepsEndWhereCleanStepsEnd(long seed) {
        for (Function<List<Tensor>, Optimizer> make : List.<Function<List<Tensor>, Optimizer>>of(
                ps -> Adam.adamW(ps, 0.05), ps -> new Sgd(ps, 0.05, 0.9, 0.01, true))) {
            Map<String, float[]> clean = run(make, seed, 0);
            Map<String, float[]> faulty = run(make, seed, 0.3);
            assertThat(faulty.keySet()).isEqualTo(clean.keySet());
            clean.forEach((name, values) -> assertThat(faulty.get(name)).as("%s, %s", name, Seeds.replay(seed))
                    .isEqualTo(values));
        }
    }

    /** Six steps over three parameters; each failed step is checked to have changed nothing, then retried. */
    private static Map<String, float[]> run(Function<List<Tensor>, Optimizer> make, long seed, double faultRate) {
        CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(16L << 20));
        DeviceFaults faults = DeviceFaults.seeded(seed, faultRate / 2, faultRate / 2);
        Backend backend = cpu.withFaults(faults);
        int failures = 0;
        try (cpu; TensorScope scope = TensorScope.open(backend)) {
            List<Tensor> parameters = List.of(
                    Tensors.of(new float[] {1f, -2f, 3f}, 3).requiresGrad(true),
                    Tensors.of(new float[] {0.5f, 0.25f}, 2).requiresGrad(true),
                    Tensors.of(new float[] {-1f, 4f, 2f, 0f}, 2, 2).requiresGrad(true));
            try (Optimizer optimizer = make.apply(parameters)) {
                for (int step = 0; step < 6; step++) {
                    optimizer.zeroGrad();
                    for (Tensor p : parameters) {
                        p.square().mul(1f + step).sum().backward();
                    }
                    Map<String, float[]> before = values(parameters, optimizer);
                    while (true) {
                        faults.armed(true);
                        try {
                            optimizer.step();
                            break;
                        } catch (DeviceException | DeviceOutOfMemoryException e) {
                            failures++;
                            faults.armed(false);
                            Map<String, float[]> after = values(parameters, optimizer);
                            assertThat(after.keySet()).isEqualTo(before.keySet());
                            before.forEach((name, v) -> assertThat(after.get(name))
                                    .as("%s after a failed step: %s", name, e.getMessage()).isEqualTo(v));
                        } finally {
                            faults.armed(false);
                        }
                    }
                }
                if (faultRate > 0) {
                    assertThat(failures).as("faults injected").isPositive();
                }
                return values(parameters, optimizer);
            }
        }
    }

    private static Map<String, float[]> values(List<Tensor> parameters, Optimizer optimizer) {
        Map<String, float[]> values = new LinkedHashMap<>();
        for (int i = 0; i < parameters.size(); i++) {
            values.put("p" + i, parameters.get(i).toFloatArray());
        }
        optimizer.state().forEach((name, t) -> values.put(name, t.toFloatArray()));
        values.put("steps", new float[] {optimizer.steps()});
        if (optimizer instanceof Adam adam) {
            List<Float> steps = new ArrayList<>();
            for (long s : adam.parameterSteps()) {
                steps.add((float) s);
            }
            float[] array = new float[steps.size()];
            for (int i = 0; i < array.length; i++) {
                array[i] = steps.get(i);
            }
            values.put("param_steps", array);
        }
        return values;
    }
}
