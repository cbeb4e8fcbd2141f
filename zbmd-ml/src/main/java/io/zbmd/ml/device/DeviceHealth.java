package io.zbmd.ml.device;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorRef;
import io.zbmd.fault.PhiAccrualFailureDetector;
import java.time.Duration;
import java.util.Objects;

/**
 * Watches one device: every {@code interval} it sends the device's actor a
 * {@link DeviceActor.Heartbeat} (a tiny kernel and a copy back), feeds the answers to a
 * φ-accrual failure detector, and when φ passes the detector's threshold tells {@code notify}
 * that the device is down, once. A hung kernel, a lost device or a device actor that no longer
 * runs all look the same from here: no answers. It runs on the system's shared threads, not
 * the device's, so that a device whose thread is stuck cannot stop its own watchdog; its time
 * is the system's clock, so that it replays exactly under the deterministic dispatcher.
 */
public final class DeviceHealth implements Actor<DeviceHealth.Message> {
    private static final Object TICK_TIMER = "tick";

    private final ActorContext<Message> ctx;
    private final String name;
    private final ActorRef<DeviceActor.Command> device;
    private final Duration interval;
    private final PhiAccrualFailureDetector detector;
    private final ActorRef<? super DeviceDown> notify;
    private long sent;
    private long lastAnswer;

    /** What the watchdog receives. */
    public sealed interface Message permits Tick, Beat {}

    /** Time for the next heartbeat and a look at φ. */
    public record Tick() implements Message {}

    /**
     * A device's answer to a heartbeat.
     *
     * @param sequence the heartbeat's
     */
    public record Beat(long sequence) implements Message {}

    /**
     * A device stopped answering.
     *
     * @param device its name
     * @param phi the detector's suspicion when it was declared down
     * @param silentFor how long since its last answer
     */
    public record DeviceDown(String device, double phi, Duration silentFor) {}

    private DeviceHealth(ActorContext<Message> ctx, String name, ActorRef<DeviceActor.Command> device,
            Duration interval, PhiAccrualFailureDetector.Config config, ActorRef<? super DeviceDown> notify) {
        this.ctx = ctx;
        this.name = name;
        this.device = device;
        this.interval = interval;
        this.detector = new PhiAccrualFailureDetector(config);
        this.notify = notify;
    }

    /**
     * @param name the device's name, for the notice
     * @param device its actor
     * @param interval between heartbeats, positive
     * @param config the detector's threshold and expectations
     * @param notify told once when the device is down
     * @return the watchdog's factory
     */
    public static ActorFactory<Message> factory(String name, ActorRef<DeviceActor.Command> device, Duration interval,
            PhiAccrualFailureDetector.Config config, ActorRef<? super DeviceDown> notify) {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(device, "device must not be null");
        Objects.requireNonNull(config, "config must not be null");
        Objects.requireNonNull(notify, "notify must not be null");
        if (interval == null || interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("DeviceHealth interval must be positive, got " + interval);
        }
        return ctx -> new DeviceHealth(ctx, name, device, interval, config, notify);
    }

    @Override
    public void onStart() {
        lastAnswer = ctx.nanoTime();
        detector.heartbeat(lastAnswer); // the device counts as alive when watching begins
        ctx.timers().startPeriodic(TICK_TIMER, new Tick(), interval);
    }

    @Override
    public void onMessage(Message message) {
        long now = ctx.nanoTime();
        switch (message) {
            case Beat beat -> {
                lastAnswer = now;
                detector.heartbeat(now);
            }
            case Tick tick -> {
                if (!detector.isAvailable(now)) {
                    ctx.timers().cancel(TICK_TIMER);
                    notify.tell(new DeviceDown(name, detector.phi(now), Duration.ofNanos(now - lastAnswer)));
                    return;
                }
                device.tell(new DeviceActor.Heartbeat(++sent, ctx.self()));
            }
        }
    }
}
