package io.zbmd.bench.ml;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.SpawnOptions;
import io.zbmd.gpu.Backend;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.gpu.memory.DeviceBuffer;
import io.zbmd.ml.device.DeviceActor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a device actor costs per stage: the same tiny stage (a 64-float fill and a copy of one
 * element back, on the CPU backend so that the device's own time is small) called directly on
 * the caller's thread ({@code direct}) and sent to a {@link DeviceActor} on its pinned thread,
 * the caller waiting for the stage's future ({@code actor}). The difference is the hand-off to
 * the device's thread and back; a training step sends a few stages, each of milliseconds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DeviceActorBenchmark {
    /** {@code direct} or {@code actor}. */
    @Param({"direct", "actor"})
    public String path;

    private Backend backend;
    private DeviceBuffer buffer;
    private ActorSystem system;
    private ActorRef<DeviceActor.Command> device;
    private float value;
    private float last;
    private final Function<Backend, Float> stage = this::stage;

    /** Opens the backend, or starts the system and the device actor. */
    @Setup
    public void setUp() {
        if (path.equals("direct")) {
            backend = open();
            buffer = backend.allocate(64);
        } else {
            system = ActorSystem.create(ActorSystemConfig.defaults().withName("bench"));
            device = system.spawn(SpawnOptions.named("device").pinnedToThread(), DeviceActor.factory(() -> {
                Backend opened = open();
                buffer = opened.allocate(64);
                return opened;
            }));
        }
    }

    private static Backend open() {
        return CpuBackend.create(CpuConfig.defaults().withThreads(1).withMemoryBudgetBytes(16L << 20));
    }

    private Float stage(Backend on) {
        on.fill(buffer, 0, 64, value);
        float[] back = new float[1];
        on.download(buffer, 63, back, 0, 1);
        return back[0];
    }

    /** The last stage must have copied back what it filled. */
    @TearDown(Level.Iteration)
    public void check() {
        if (last != value) {
            throw new IllegalStateException(path + ": the stage copied back " + last + ", filled " + value);
        }
    }

    /** Stops the actor (which closes its backend) or closes the backend. */
    @TearDown
    public void tearDown() {
        if (system != null) {
            system.close();
        } else {
            buffer.close();
            backend.close();
        }
    }

    /** @return the element copied back (consumed by JMH) */
    @Benchmark
    public float stage() {
        value = (value + 1) % 1024;
        last = path.equals("direct") ? stage(backend) : DeviceActor.run(device, "fill", stage).join();
        return last;
    }
}
