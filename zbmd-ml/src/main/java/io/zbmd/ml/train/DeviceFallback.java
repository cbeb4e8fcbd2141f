package io.zbmd.ml.train;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DeviceException;
import io.zbmd.ml.nn.Module;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * Where a run goes when its device is lost for good (every retry of a step failed with a
 * device error, up to {@link FailureLimits#failuresPerStep()}): the same model, built on the
 * next device. {@link Trainer#fit} then resumes the run there from its last checkpoint, the
 * steps after it redone, and says so in its log and in
 * {@link TrainingResult#recoveries()} ({@code "migration"}). The run's later checkpoints record
 * the new device; the last bits of the arithmetic change with it, as they would on any other
 * device, which is why a plain resume on another device is refused and a migration is not.
 */
@FunctionalInterface
public interface DeviceFallback {

    /**
     * @param lost the backend whose device was lost
     * @return the model, built as before (same structure and parameter names) on the next
     *     device, or empty to stop the run
     */
    Optional<Module> next(Backend lost);

    /**
     * Tries the given backends in order, each once.
     *
     * @param build builds the model on a backend (inside a {@code TensorScope} of it)
     * @param devices the backends to move to, in order of preference (another GPU, then the CPU)
     * @return the fallback
     */
    static DeviceFallback to(Function<Backend, Module> build, List<Backend> devices) {
        Objects.requireNonNull(build, "build must not be null");
        List<Backend> remaining = new ArrayList<>(devices);
        return lost -> {
            synchronized (remaining) {
                remaining.remove(lost);
                return remaining.isEmpty() ? Optional.empty() : Optional.of(build.apply(remaining.removeFirst()));
            }
        };
    }

    /**
     * Opens each device only when the run moves to it, in order, each once. Naming the lost
     * device again reopens it: a new context and queue, the model built there afresh, the run
     * resumed from its last checkpoint; a device reset by its driver comes back that way. One
     * that cannot be opened (it fell off the bus) is logged and the next is tried.
     *
     * @param build builds the model on a backend (inside a {@code TensorScope} of it)
     * @param devices opens the devices to move to, in order of preference; the caller closes
     *     what they open (they may keep a list)
     * @return the fallback
     */
    static DeviceFallback opening(Function<Backend, Module> build, List<Supplier<Backend>> devices) {
        Objects.requireNonNull(build, "build must not be null");
        List<Supplier<Backend>> remaining = new ArrayList<>(devices);
        return lost -> {
            synchronized (remaining) {
                while (!remaining.isEmpty()) {
                    Backend next;
                    try {
                        next = remaining.removeFirst().get();
                    } catch (DeviceException e) {
                        LoggerFactory.getLogger(DeviceFallback.class).warn("cannot move the run to a device: {}",
                                e.getMessage());
                        continue;
                    }
                    return Optional.of(build.apply(next));
                }
                return Optional.empty();
            }
        };
    }
}
