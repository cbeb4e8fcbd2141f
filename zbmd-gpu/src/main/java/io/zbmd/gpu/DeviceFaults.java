package io.zbmd.gpu;

import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.memory.DeviceOutOfMemoryException;
import io.zbmd.gpu.memory.MemoryPool;
import io.zbmd.gpu.opencl.OpenClBackend;
import io.zbmd.gpu.vulkan.VulkanBackend;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Faults injected on purpose into a backend, for testing that training survives its device:
 * before every allocation, copy and kernel, a backend built {@link Backend#withFaults with}
 * these draws from a seeded generator and may throw a {@link DeviceException} (a device
 * error) or a {@link DeviceOutOfMemoryException}, then does the operation. Supervised training
 * retries device errors and halves the micro-batch on out-of-memory.
 *
 * <p>Every backend honours the same hook, so a fault plan is independent of the device it is
 * injected into, and the set of backends stays closed (no wrapper among them). Injected
 * faults are counted and their messages say "injected", so tests can tell them from real
 * ones. Thread-safe (the generator is used under a lock).
 */
public final class DeviceFaults {
    /** No faults: what every backend starts with. */
    public static final DeviceFaults NONE = new DeviceFaults(0, 0, 0, -1, -1);

    private final double deviceErrorRate;
    private final double outOfMemoryRate;
    /** Operations after which the device is lost for good, or -1. */
    private final long lostAfter;
    /** Operations after which the device hangs, or -1. */
    private final long hangAfter;
    private final CountDownLatch hangReleased = new CountDownLatch(1);
    private final AtomicLong operations = new AtomicLong();
    private final SplittableRandom random;
    private final AtomicLong deviceErrors = new AtomicLong();
    private final AtomicLong outOfMemory = new AtomicLong();
    private final AtomicLong hangs = new AtomicLong();
    private volatile boolean armed;

    /**
     * Faults that start disarmed: turn them on with {@link #armed(boolean)}.
     *
     * @param seed drives every decision
     * @param deviceErrorRate probability per operation of a device error, 0 to 1
     * @param outOfMemoryRate probability per operation of an out-of-memory, 0 to 1
     * @return the faults
     */
    public static DeviceFaults seeded(long seed, double deviceErrorRate, double outOfMemoryRate) {
        if (!(deviceErrorRate >= 0 && deviceErrorRate <= 1) || !(outOfMemoryRate >= 0 && outOfMemoryRate <= 1)) {
            throw new IllegalArgumentException("fault rates must be between 0 and 1, got device=" + deviceErrorRate
                    + " oom=" + outOfMemoryRate);
        }
        return new DeviceFaults(seed, deviceErrorRate, outOfMemoryRate, -1, -1);
    }

    /**
     * A device that is lost for good: it runs {@code operations} operations (counted while
     * armed), then fails every one after with a {@link DeviceException}, as a GPU that fell off
     * the bus. On a device backend the loss is real: the first failing operation destroys the
     * device's context (its queue, kernels and memory go with it) before it fails. The CPU
     * backend's memory is the JVM's own and stays. Starts disarmed.
     *
     * @param operations operations that still succeed, 0 or more
     * @return the faults
     */
    public static DeviceFaults lostAfter(long operations) {
        if (operations < 0) {
            throw new IllegalArgumentException("a device is lost after 0 or more operations, got " + operations);
        }
        return new DeviceFaults(0, 0, 0, operations, -1);
    }

    /**
     * A device that hangs: it runs {@code operations} operations (counted while armed), then
     * every thread that calls it blocks, as in a kernel that never returns, without an error
     * and deaf to interrupts, until {@link #releaseHang()} (after which each fails with a
     * {@link DeviceException}). What notices is a watchdog: the trainer's stage timeouts, a
     * {@code DeviceHealth}. Starts disarmed.
     *
     * @param operations operations that still succeed, 0 or more
     * @return the faults
     */
    public static DeviceFaults hangAfter(long operations) {
        if (operations < 0) {
            throw new IllegalArgumentException("a device hangs after 0 or more operations, got " + operations);
        }
        return new DeviceFaults(0, 0, 0, -1, operations);
    }

    private DeviceFaults(long seed, double deviceErrorRate, double outOfMemoryRate, long lostAfter, long hangAfter) {
        this.deviceErrorRate = deviceErrorRate;
        this.outOfMemoryRate = outOfMemoryRate;
        this.lostAfter = lostAfter;
        this.hangAfter = hangAfter;
        this.random = new SplittableRandom(seed);
    }

    /** @return whether this can inject anything at all */
    public boolean injects() {
        return deviceErrorRate > 0 || outOfMemoryRate > 0 || lostAfter >= 0 || hangAfter >= 0;
    }

    /**
     * Turns the faults on or off, e.g. off while a model is built and evaluated, on while it
     * trains. Off, no numbers are drawn.
     *
     * @param value whether to inject
     * @return these faults
     */
    public DeviceFaults armed(boolean value) {
        if (value && this == NONE) {
            throw new IllegalStateException("DeviceFaults.NONE cannot be armed; use DeviceFaults.seeded");
        }
        armed = value;
        return this;
    }

    /** @return device errors injected so far */
    public long injectedDeviceErrors() {
        return deviceErrors.get();
    }

    /** @return threads that have met the injected hang so far */
    public long injectedHangs() {
        return hangs.get();
    }

    /** Lets the threads blocked in an injected hang go (each then fails), and every later call fail at once. */
    public void releaseHang() {
        hangReleased.countDown();
    }

    /** @return out-of-memory errors injected so far */
    public long injectedOutOfMemory() {
        return outOfMemory.get();
    }

    /**
     * Called by a backend before each operation.
     *
     * @param operation what is about to run, for the message
     * @param backend the backend running it
     * @throws DeviceException or {@link DeviceOutOfMemoryException} when one is drawn
     */
    public void beforeOperation(String operation, Backend backend) {
        if (!armed) {
            return;
        }
        if (hangAfter >= 0) {
            if (operations.incrementAndGet() > hangAfter) {
                hangs.incrementAndGet();
                awaitRelease();
                deviceErrors.incrementAndGet();
                throw new DeviceException("device hung (injected) in " + operation + " on " + backend.device().name()
                        + ", released");
            }
            return;
        }
        if (lostAfter >= 0) {
            long count = operations.incrementAndGet();
            if (count > lostAfter) {
                deviceErrors.incrementAndGet();
                if (count == lostAfter + 1) {
                    destroy(backend);
                }
                throw new DeviceException("device lost (injected) before " + operation + " on "
                        + backend.device().name());
            }
            return;
        }
        double draw;
        synchronized (random) {
            draw = random.nextDouble();
        }
        if (draw < deviceErrorRate) {
            deviceErrors.incrementAndGet();
            throw new DeviceException("injected device error in " + operation + " on " + backend.device().name());
        }
        if (draw < deviceErrorRate + outOfMemoryRate) {
            outOfMemory.incrementAndGet();
            MemoryPool pool = backend.memory();
            throw new DeviceOutOfMemoryException("injected out-of-memory in " + operation + " on pool '" + pool.name()
                    + "'", 0, pool.bytesInUse(), pool.budgetBytes());
        }
    }

    private void awaitRelease() {
        boolean interrupted = false;
        while (true) {
            try {
                hangReleased.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // a hung kernel does not answer interrupts either
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void destroy(Backend backend) {
        switch (backend) {
            case CpuBackend cpu -> { } // the JVM's memory: nothing to destroy
            case OpenClBackend opencl -> opencl.close();
            case VulkanBackend vulkan -> vulkan.close();
        }
    }

    @Override
    public String toString() {
        if (lostAfter >= 0) {
            return "DeviceFaults[lost after " + lostAfter + " operations]";
        }
        if (hangAfter >= 0) {
            return "DeviceFaults[hangs after " + hangAfter + " operations]";
        }
        return injects() ? "DeviceFaults[device=" + deviceErrorRate + ", oom=" + outOfMemoryRate + "]"
                : "DeviceFaults[none]";
    }
}
