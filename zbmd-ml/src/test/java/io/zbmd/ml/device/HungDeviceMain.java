package io.zbmd.ml.device;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.fault.PhiAccrualFailureDetector;
import io.zbmd.gpu.Backends;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Run by {@link HungDeviceTest} in a JVM of its own, because what it leaves behind cannot be
 * cleaned up: a device actor whose device stops answering for good, in the middle of its
 * kernels. A real device ({@code opencl} or {@code vulkan}, the first argument) is owned by a
 * pinned device actor under a supervisor and watched by {@link DeviceHealth} every 50 ms. It
 * answers while healthy; then a stage keeps it computing 2048³ products without end, as a
 * kernel that never returns would, and the watchdog, on the shared threads, must say so. The
 * JVM halts once it has (its device thread is still inside the kernels, as a hung driver's
 * would be), printing each step for the parent to check.
 */
public final class HungDeviceMain {
    private static final int N = 2048;

    private HungDeviceMain() {}

    /** @param args the device to hang: {@code opencl} or {@code vulkan} */
    public static void main(String[] args) throws Exception {
        CpuConfig cpu = CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(256L << 20);
        ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("hung-device"));
        Supervisor devices = Supervisors.start(system, "devices", SupervisorSpec.oneForOne()
                .withChild(ChildSpec.worker("device", DeviceActor.factory(() -> Backends.open(args[0], cpu)))
                        .withPinnedThread(true)));
        ActorRef<DeviceActor.Command> device = devices.<DeviceActor.Command>child("device").join().orElseThrow();
        System.out.println("device: " + DeviceActor.run(device, "name", backend -> backend.device().name()).join());

        CompletableFuture<DeviceHealth.DeviceDown> down = new CompletableFuture<>();
        ActorRef<DeviceHealth.DeviceDown> watcher = system.spawn("watcher", ctx -> down::complete);
        PhiAccrualFailureDetector.Config detector = new PhiAccrualFailureDetector.Config(8.0, 100, 3,
                Duration.ofMillis(50), Duration.ofMillis(500), Duration.ofMillis(50));
        system.spawn("health", DeviceHealth.factory("device", device, Duration.ofMillis(50), detector, watcher));

        for (int stage = 0; stage < 5; stage++) {
            DeviceActor.run(device, "small product", backend -> {
                try (DeviceBuffer a = backend.allocate(64L * 64)) {
                    backend.fill(a, 0, 64L * 64, 0.5f);
                    backend.sgemm(false, false, 64, 64, 64, 1f, a, 0, 64, a, 0, 64, 0f, a, 0, 64);
                    float[] back = new float[1];
                    backend.download(a, 0, back, 0, 1);
                    return back[0];
                }
            }).join();
        }
        System.out.println("healthy: 5 stages answered, down: " + down.isDone());

        DeviceActor.run(device, "endless products", backend -> {
            DeviceBuffer a = backend.allocate((long) N * N);
            DeviceBuffer c = backend.allocate((long) N * N);
            backend.fill(a, 0, (long) N * N, 1f / N);
            float[] back = new float[1];
            while (true) {
                backend.sgemm(false, false, N, N, N, 1f, a, 0, N, a, 0, N, 0f, c, 0, N);
                backend.download(c, 0, back, 0, 1);
            }
        });
        System.out.println("stuck: the device computes without end");
        DeviceHealth.DeviceDown verdict = down.get();
        System.out.printf("down: %s phi=%.1f silent=%d ms%n", verdict.device(), verdict.phi(),
                verdict.silentFor().toMillis());
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
