package io.zbmd.ml.train;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DeviceFaults;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Faults a training run injects on purpose, to show that it survives them, all drawn from
 * one seed:
 *
 * <ul>
 *   <li>{@code crash}: per message to a training actor, the probability that it crashes
 *       while handling it (before its work, or halfway: after the forward or the backward
 *       pass). Its supervisor restarts it and the step is retried from the last commit.
 *   <li>{@code drop}: per reply, the probability that it is lost. The trainer notices by a
 *       timeout and asks again.
 *   <li>{@code device}: per kernel, copy or allocation, the probability of a device error
 *       (from the backend's {@link DeviceFaults}). Retried like a crash; escalated when a step
 *       keeps failing.
 *   <li>{@code oom}: per kernel, copy or allocation, the probability of an out-of-memory. The
 *       model actor halves its micro-batch and accumulates gradients, so the effective batch
 *       stays the same (bit-exactness with an unsplit run is then not expected).
 *   <li>{@code slow}: per reply, the probability that it comes late, after the trainer has
 *       asked again (so that the stage runs twice and its first answer arrives stale).
 *   <li>{@code write}: per checkpoint write, the probability that it fails; the checkpoint
 *       actor crashes and its restarted incarnation writes it again.
 * </ul>
 *
 * @param seed drives every decision
 * @param crashRate 0 to 1
 * @param dropRate 0 to 1
 * @param deviceErrorRate 0 to 1
 * @param outOfMemoryRate 0 to 1
 * @param slowRate 0 to 1
 * @param writeFailureRate 0 to 1
 * @param lostAfter the device is lost for good after this many of its operations while training
 *     (see {@link DeviceFaults#lostAfter}), or -1 for never; not with device or oom rates
 */
public record TrainingFaults(long seed, double crashRate, double dropRate, double deviceErrorRate,
        double outOfMemoryRate, double slowRate, double writeFailureRate, long lostAfter) {

    /** No faults. */
    public static final TrainingFaults NONE = new TrainingFaults(0, 0, 0, 0, 0);

    /** Checks the rates. */
    public TrainingFaults {
        check("crash", crashRate);
        check("drop", dropRate);
        check("device", deviceErrorRate);
        check("oom", outOfMemoryRate);
        check("slow", slowRate);
        check("write", writeFailureRate);
        if (lostAfter < -1) {
            throw new IllegalArgumentException("fault lost=" + lostAfter + ": give the operations after which the"
                    + " device is lost, 0 or more");
        }
        if (lostAfter >= 0 && (deviceErrorRate > 0 || outOfMemoryRate > 0)) {
            throw new IllegalArgumentException("fault lost=" + lostAfter + " loses the device for good; it cannot be"
                    + " combined with device=" + plain(deviceErrorRate) + " or oom=" + plain(outOfMemoryRate));
        }
    }

    /**
     * Faults without a lost device.
     *
     * @param seed drives every decision
     * @param crashRate 0 to 1
     * @param dropRate 0 to 1
     * @param deviceErrorRate 0 to 1
     * @param outOfMemoryRate 0 to 1
     * @param slowRate 0 to 1
     * @param writeFailureRate 0 to 1
     */
    public TrainingFaults(long seed, double crashRate, double dropRate, double deviceErrorRate,
            double outOfMemoryRate, double slowRate, double writeFailureRate) {
        this(seed, crashRate, dropRate, deviceErrorRate, outOfMemoryRate, slowRate, writeFailureRate, -1);
    }

    /**
     * Crashes, lost replies, device errors and out-of-memory errors only.
     *
     * @param seed drives every decision
     * @param crashRate 0 to 1
     * @param dropRate 0 to 1
     * @param deviceErrorRate 0 to 1
     * @param outOfMemoryRate 0 to 1
     */
    public TrainingFaults(long seed, double crashRate, double dropRate, double deviceErrorRate,
            double outOfMemoryRate) {
        this(seed, crashRate, dropRate, deviceErrorRate, outOfMemoryRate, 0, 0, -1);
    }

    /**
     * Parses the command line's form, {@code crash=0.01,drop=0.001,device=0.001,oom=0.0005}
     * (any subset, any order; empty or {@code none} for no faults), and {@code lost=N}: the
     * device lost for good after N of its operations.
     *
     * @param spec the text
     * @param seed the seed
     * @return the faults
     * @throws IllegalArgumentException naming the part that is not understood
     */
    public static TrainingFaults parse(String spec, long seed) {
        String text = spec == null ? "" : spec.strip();
        if (text.isEmpty() || text.equalsIgnoreCase("none")) {
            return NONE;
        }
        Map<String, Double> rates = new LinkedHashMap<>(Map.of("crash", 0.0, "drop", 0.0, "device", 0.0, "oom", 0.0,
                "slow", 0.0, "write", 0.0));
        long lostAfter = -1;
        for (String part : text.split(",", -1)) {
            int equals = part.indexOf('=');
            String key = equals > 0 ? part.substring(0, equals).strip().toLowerCase(Locale.ROOT) : "";
            if (key.equals("lost")) {
                lostAfter = operations(part.substring(equals + 1).strip(), part, text);
                continue;
            }
            if (!rates.containsKey(key)) {
                throw new IllegalArgumentException("fault '" + part.strip() + "' in '" + text + "' is not one of"
                        + " crash=P, drop=P, device=P, oom=P, slow=P, write=P (P a probability such as 0.01) or"
                        + " lost=N (the device lost after N operations)");
            }
            try {
                rates.put(key, Double.parseDouble(part.substring(equals + 1).strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("fault '" + part.strip() + "' in '" + text + "': '"
                        + part.substring(equals + 1).strip() + "' is not a number; give a probability such as 0.01");
            }
        }
        return new TrainingFaults(seed, rates.get("crash"), rates.get("drop"), rates.get("device"), rates.get("oom"),
                rates.get("slow"), rates.get("write"), lostAfter);
    }

    private static long operations(String value, String part, String text) {
        try {
            long operations = Long.parseLong(value);
            if (operations >= 0) {
                return operations;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("fault '" + part.strip() + "' in '" + text + "': '" + value
                + "' is not a count of operations; give a whole number such as 50000");
    }

    /** @return whether any fault is injected */
    public boolean enabled() {
        return crashRate > 0 || dropRate > 0 || deviceErrorRate > 0 || outOfMemoryRate > 0 || slowRate > 0
                || writeFailureRate > 0 || lostAfter >= 0;
    }

    /** @return whether faults come from the device, so that the model must live on {@link #wrap}'s backend */
    public boolean onDevice() {
        return deviceErrorRate > 0 || outOfMemoryRate > 0 || lostAfter >= 0;
    }

    /**
     * @param backend the real backend
     * @return a view of {@code backend} that injects these device rates, disarmed (the trainer
     *     arms it while it trains), or {@code backend} itself when no device faults are asked for
     */
    public Backend wrap(Backend backend) {
        if (lostAfter >= 0) {
            return backend.withFaults(DeviceFaults.lostAfter(lostAfter));
        }
        return onDevice()
                ? backend.withFaults(DeviceFaults.seeded(seed ^ 0x5DEECE66DL, deviceErrorRate, outOfMemoryRate))
                : backend;
    }

    @Override
    public String toString() {
        return enabled()
                ? "crash=" + plain(crashRate) + ",drop=" + plain(dropRate) + ",device=" + plain(deviceErrorRate)
                        + ",oom=" + plain(outOfMemoryRate)
                        + (slowRate > 0 ? ",slow=" + plain(slowRate) : "")
                        + (writeFailureRate > 0 ? ",write=" + plain(writeFailureRate) : "")
                        + (lostAfter >= 0 ? ",lost=" + lostAfter : "")
                : "none";
    }

    private static String plain(double rate) {
        return BigDecimal.valueOf(rate).stripTrailingZeros().toPlainString();
    }

    private static void check(String name, double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("fault rate " + name + "=" + rate + " must be between 0 and 1");
        }
    }
}
