package io.zbmd.ml.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.fault.PhiAccrualFailureDetector;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.Backends;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.DeviceFaults;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.gpu.opencl.OpenClContext;
import io.zbmd.gpu.opencl.OpenClDevices;
import io.zbmd.gpu.vulkan.VulkanContext;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import io.zbmd.testing.Driver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceActorTest {

    /** Opens CPU backends and remembers them, so that a test can see each one closed. */
    private static final class Opener implements Supplier<Backend> {
        final List<Backend> opened = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new CopyOnWriteArrayList<>();

        @Override
        public Backend get() {
            Backend backend = CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(1 << 20));
            opened.add(backend);
            threads.add(Thread.currentThread());
            return backend;
        }
    }

    /** A stage: a + b on the device, copied back. */
    private static float[] add(Backend backend, float[] a, float[] b) {
        try (DeviceBuffer x = backend.allocate(a.length); DeviceBuffer y = backend.allocate(b.length)) {
            backend.upload(a, 0, x, 0, a.length);
            backend.upload(b, 0, y, 0, b.length);
            backend.axpy(a.length, 1f, y, 0, x, 0);
            float[] out = new float[a.length];
            backend.download(x, 0, out, 0, a.length);
            return out;
        }
    }

    @Test
    void aDeviceErrorFailsItsStageAndTheRestartOpensTheDeviceAfreshOnTheSameThread() {
        Opener opener = new Opener();
        AtomicInteger attempts = new AtomicInteger();
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withName("devices"))) {
            Supervisor supervisor = Supervisors.start(driver.system, "device-supervisor", SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("opencl-0", DeviceActor.factory(opener)).withPinnedThread(true)));
            ActorRef<DeviceActor.Command> device = driver.await(supervisor.<DeviceActor.Command>child("opencl-0"))
                    .orElseThrow();
            float[] sum = driver.await(DeviceActor.run(device, "add", backend -> add(backend, new float[] {1, 2},
                    new float[] {10, 20})));
            assertThat(sum).containsExactly(11f, 22f);

            // The device fails in the middle of a stage: the stage fails at once, the actor restarts.
            var failed = DeviceActor.run(device, "add", backend -> {
                attempts.incrementAndGet();
                Backend dying = backend.withFaults(DeviceFaults.seeded(1, 1, 0).armed(true));
                return add(dying, new float[] {1}, new float[] {1});
            });
            assertThatThrownBy(() -> driver.await(failed)).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(DeviceException.class);
            float[] again = driver.await(DeviceActor.run(device, "add", backend -> add(backend, new float[] {3},
                    new float[] {4})));
            assertThat(again).containsExactly(7f);

            assertThat(attempts).hasValue(1);
            assertThat(opener.opened).as("the restart opened the device again").hasSize(2);
            assertThat(opener.opened.getFirst().memory().bytesReserved()).as("the first backend was closed")
                    .isZero();
            assertThat(opener.threads).as("both opened on the device's own thread").hasSize(2)
                    .allMatch(thread -> thread == opener.threads.getFirst())
                    .allMatch(thread -> thread.getName().contains("opencl-0"));
        }
        assertThat(opener.opened.getLast().memory().bytesReserved()).as("stopping closes the device").isZero();
    }

    @Test
    void theWatchdogDeclaresASilentDeviceDownAndNeverAHealthyOne() {
        PhiAccrualFailureDetector.Config detector = new PhiAccrualFailureDetector.Config(8.0, 100, 3,
                Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(1));
        for (boolean hung : new boolean[] {false, true}) {
            Opener opener = new Opener();
            try (Driver driver = Driver.of(ActorSystemConfig.deterministic(42))) {
                List<DeviceHealth.DeviceDown> downs = new CopyOnWriteArrayList<>();
                ActorRef<DeviceHealth.DeviceDown> watcher = driver.system.spawn("watcher", ctx -> downs::add);
                // A hung device takes heartbeats and never answers, as a device stuck in a kernel.
                ActorRef<DeviceActor.Command> device = hung
                        ? driver.system.spawn("hung-device", ctx -> message -> {})
                        : driver.system.spawn("device", DeviceActor.factory(opener));
                driver.system.spawn("health", DeviceHealth.factory(hung ? "hung-device" : "device", device,
                        Duration.ofMillis(500), detector, watcher));
                var scheduler = driver.system.deterministic();
                for (int second = 0; second < 60 && downs.isEmpty(); second++) {
                    scheduler.advanceTime(Duration.ofSeconds(1));
                    scheduler.runUntilIdle();
                }
                if (hung) {
                    assertThat(downs).as("a silent device is declared down once").hasSize(1);
                    DeviceHealth.DeviceDown down = downs.getFirst();
                    assertThat(down.device()).isEqualTo("hung-device");
                    assertThat(down.phi()).isGreaterThan(8.0);
                    assertThat(down.silentFor()).isGreaterThan(Duration.ofSeconds(1))
                            .isLessThan(Duration.ofSeconds(10));
                } else {
                    assertThat(downs).as("a device that answers is never declared down").isEmpty();
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"opencl", "vulkan"})
    void aDeviceActorReleasesItsContextOnEveryRestartAndOnStop(String kind) {
        boolean present = kind.equals("opencl") ? !OpenClDevices.list().isEmpty() : !VulkanContext.list().isEmpty();
        if (!present && System.getenv("CI") != null) {
            throw new AssertionError("CI installs PoCL and lavapipe, but no " + kind + " device was found");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(present, "no " + kind + " device here");
        IntSupplier liveContexts = kind.equals("opencl") ? OpenClContext::liveContexts : VulkanContext::liveContexts;
        IntSupplier liveBuffers = kind.equals("opencl") ? OpenClContext::liveBuffers : VulkanContext::liveBuffers;
        int contexts = liveContexts.getAsInt();
        int buffers = liveBuffers.getAsInt();
        CpuConfig budget = CpuConfig.defaults().withMemoryBudgetBytes(1 << 20);
        try (Driver driver = Driver.of(ActorSystemConfig.defaults().withName(kind))) {
            Supervisor supervisor = Supervisors.start(driver.system, "device-supervisor", SupervisorSpec.oneForOne()
                    .withIntensity(10, Duration.ofMinutes(1))
                    .withChild(ChildSpec.worker(kind + "-0", DeviceActor.factory(() -> Backends.open(kind, budget)))
                            .withPinnedThread(true)));
            ActorRef<DeviceActor.Command> device = driver.await(supervisor.<DeviceActor.Command>child(kind + "-0"))
                    .orElseThrow();
            for (int crash = 0; crash < 3; crash++) {
                var failed = DeviceActor.run(device, "lost", backend -> {
                    throw new DeviceException("the device was lost (on purpose)");
                });
                assertThatThrownBy(() -> driver.await(failed)).hasCauseInstanceOf(DeviceException.class);
                float[] sum = driver.await(DeviceActor.run(device, "add", backend -> add(backend, new float[] {1, 2},
                        new float[] {3, 4})));
                assertThat(sum).containsExactly(4f, 6f);
                assertThat(liveContexts.getAsInt()).as("one context open after restart %d", crash + 1)
                        .isEqualTo(contexts + 1);
            }
        }
        assertThat(liveContexts.getAsInt()).as("contexts after stop").isEqualTo(contexts);
        assertThat(liveBuffers.getAsInt()).as("device buffers after stop").isEqualTo(buffers);
    }
}
