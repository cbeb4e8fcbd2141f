package io.zbmd.examples.book;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.Backends;
import io.zbmd.gpu.DeviceException;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.ml.device.DeviceActor;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.CompletionException;

/**
 * The book's example 3, vector addition on the best device: a device actor, pinned to a thread
 * of its own under a supervisor, owns the device (a GPU where there is one, else the named
 * device or the CPU); a million ones and the range 0 .. n−1 are added there, and the first ten
 * sums come back. The first attempt meets a device error on purpose: the stage fails, the
 * supervisor restarts the device actor (which opens the device afresh), and the addition is
 * sent again.
 */
public final class VectorAddition {
    private VectorAddition() {}

    /**
     * @param out where to report
     * @param device {@code best}, {@code cpu}, {@code opencl[:N]} or {@code vulkan[:N]}
     * @param n the vectors' length, positive
     * @return the first ten sums
     */
    public static float[] run(PrintStream out, String device, int n) {
        CpuConfig cpu = CpuConfig.defaults().withThreads(2).withMemoryBudgetBytes(256L << 20);
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("vector-add"))) {
            Supervisor devices = Supervisors.start(system, "devices", SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("device", DeviceActor.factory(() -> Backends.open(device, cpu)))
                            .withPinnedThread(true)));
            ActorRef<DeviceActor.Command> actor = devices.<DeviceActor.Command>child("device").join().orElseThrow();
            out.println("Using device: " + DeviceActor.run(actor, "name", b -> b.device().name()).join());
            try {
                DeviceActor.run(actor, "add", backend -> {
                    throw new DeviceException("the device reset (injected by the example)");
                }).join();
            } catch (CompletionException e) {
                out.println("First attempt: " + e.getCause().getMessage() + "; the device actor restarts");
            }
            float[] first = DeviceActor.run(actor, "add", backend -> add(backend, n)).join();
            StringBuilder line = new StringBuilder("Result:");
            for (float value : first) {
                line.append(String.format(Locale.ROOT, " %.2f", value));
            }
            out.println(line);
            return first;
        }
    }

    /** ones + range on the device; the first ten sums copied back. */
    private static float[] add(Backend backend, int n) {
        float[] range = new float[n];
        for (int i = 0; i < n; i++) {
            range[i] = i;
        }
        try (DeviceBuffer a = backend.allocate(n); DeviceBuffer b = backend.allocate(n)) {
            backend.fill(a, 0, n, 1f);
            backend.upload(range, 0, b, 0, n);
            backend.axpy(n, 1f, b, 0, a, 0);
            float[] first = new float[Math.min(10, n)];
            backend.download(a, 0, first, 0, first.length);
            return first;
        }
    }
}
