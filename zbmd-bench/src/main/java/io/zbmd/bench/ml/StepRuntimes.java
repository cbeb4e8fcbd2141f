package io.zbmd.bench.ml;

import io.zbmd.gpu.cpu.CpuConfig;

/**
 * The peers of the training-step benchmarks ({@link MlpStepBenchmark}, {@link CnnStepBenchmark})
 * by their {@code runtime} parameter's name, and the check each runs before it is timed.
 */
final class StepRuntimes {
    static final String ZBMD = "zbmd";
    /** CPU libtorch through DJL in the benchmark's JVM: the MLP only. */
    static final String PYTORCH = "pytorch";
    static final String TORCH_PYTHON = "torch-python";
    static final String TORCH_PYTHON_FUSED = "torch-python-fused";

    /** Seed of the synthetic batch. */
    static final long BATCH_SEED = 7;

    /**
     * Steps before the loss must have fallen: at 2e-3 on one fixed batch the CNN's loss first
     * rises for a few steps (to 4-6 from 2.7) before it falls below 0.5 by step 20.
     */
    private static final int SANITY_STEPS = 20;

    private StepRuntimes() {}

    /**
     * @param runtime one of the names above
     * @param threads compute threads (PyTorch: intra-op threads)
     * @param batch what it trains on, and which model
     * @return that peer's model and Adam, from zbmd's initial weights for {@link StepModel#SEED}
     */
    static StepTraining create(String runtime, int threads, StepBatch batch) {
        return switch (runtime) {
            case ZBMD -> new ZbmdTraining(batch, threads, CpuConfig.defaults());
            case PYTORCH -> {
                PyTorchRuntime.start(threads);
                yield new PyTorchMlpTraining(batch, ZbmdTraining.initialParameters(batch.model()));
            }
            case TORCH_PYTHON, TORCH_PYTHON_FUSED -> new PythonTorchTraining(batch.model().key(), batch.features(),
                    batch.labels(), ZbmdTraining.initialParameters(batch.model()), threads,
                    runtime.equals(TORCH_PYTHON_FUSED));
            default -> throw new IllegalArgumentException("runtime must be " + ZBMD + ", " + PYTORCH + " (MLP only), "
                    + TORCH_PYTHON + " or " + TORCH_PYTHON_FUSED + ", got " + runtime);
        };
    }

    /**
     * Builds a peer and checks that it learns before it is timed.
     *
     * @return what {@link #create} returns, checked
     * @throws IllegalStateException if it does not learn (and then it is closed)
     */
    static StepTraining createChecked(String runtime, int threads, StepBatch batch) {
        StepTraining training = create(runtime, threads, batch);
        try {
            checkLearns(training, batch.model());
        } catch (RuntimeException | Error e) {
            training.close();
            throw e;
        }
        System.out.println("# " + runtime + ": " + training.describe());
        return training;
    }

    /**
     * {@value #SANITY_STEPS} steps on the fixed batch: the first loss must be near ln 10 (small initial
     * logits; {@link StepModel#initialLossTolerance()}), and the loss must fall.
     *
     * @throws IllegalStateException if not
     */
    static void checkLearns(StepTraining training, StepModel model) {
        float first = training.step();
        float last = first;
        for (int i = 1; i < SANITY_STEPS; i++) {
            last = training.step();
        }
        if (!(Math.abs(first - Math.log(StepModel.CLASSES)) < model.initialLossTolerance()) || !(last < first)) {
            throw new IllegalStateException(training.describe() + ": initial loss " + first + " (expected about ln 10"
                    + " = 2.303) and loss after " + SANITY_STEPS + " steps " + last + " (expected lower)");
        }
    }

    /**
     * @param withDjl whether the benchmark has the DJL peer
     * @return the {@code runtime} values this machine can run: the Python ones need Python torch
     */
    static String[] here(boolean withDjl) {
        boolean python = PythonTorchTraining.python().isPresent();
        if (withDjl) {
            return python ? new String[] {ZBMD, PYTORCH, TORCH_PYTHON, TORCH_PYTHON_FUSED} : new String[] {ZBMD, PYTORCH};
        }
        return python ? new String[] {ZBMD, TORCH_PYTHON, TORCH_PYTHON_FUSED} : new String[] {ZBMD};
    }
}
