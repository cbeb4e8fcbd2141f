package io.zbmd.supervision;

import io.zbmd.supervision.OtpScenario.AutoShutdown;
import io.zbmd.supervision.OtpScenario.CallOp;
import io.zbmd.supervision.OtpScenario.Child;
import io.zbmd.supervision.OtpScenario.Dynamic;
import io.zbmd.supervision.OtpScenario.ExitOp;
import io.zbmd.supervision.OtpScenario.KillOp;
import io.zbmd.supervision.OtpScenario.Nested;
import io.zbmd.supervision.OtpScenario.Op;
import io.zbmd.supervision.OtpScenario.ShutdownSpec;
import io.zbmd.supervision.OtpScenario.StartChildOp;
import io.zbmd.supervision.OtpScenario.StartDynamicOp;
import io.zbmd.supervision.OtpScenario.Stop;
import io.zbmd.supervision.OtpScenario.Sup;
import io.zbmd.supervision.OtpScenario.TerminateDynamicOp;
import io.zbmd.supervision.OtpScenario.WaitOp;
import io.zbmd.supervision.OtpScenario.Worker;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Random supervision scenarios from a seed, with the features to draw from. Time is kept
 * away from the edges OTP's restart window has (it counts in whole seconds of its monotonic
 * clock): periods of 5 or 8 s (far longer than a scenario takes between its waits, even on a
 * loaded machine), and waits that end 1.5 s past the longest period, so that a
 * restart is either well inside every window or well outside it.
 */
final class OtpScenarioGenerator {
    /** What a scenario may contain. */
    enum Feature {
        /** transient and temporary children, beside permanent ones */
        RESTART_TYPES,
        /** brutal_kill shutdowns */
        BRUTAL_KILL,
        /** child supervisors */
        NESTED,
        /** starts that fail */
        FAILED_STARTS,
        /** workers that exit normally or with shutdown */
        EXITS,
        /** exits with {shutdown, Term} */
        SHUTDOWN_TERM,
        /** kills from outside */
        KILLS,
        /** restart windows in time: waits longer than the period */
        TIME,
        /** workers that ignore their shutdown until their timeout expires */
        STUBBORN,
        /** starts that return ignore */
        IGNORE,
        /** significant children and auto_shutdown */
        SIGNIFICANT,
        /** terminate_child, restart_child, delete_child */
        CALLS,
        /** start_child */
        START_CHILD,
        /** workers as zbmd process actors */
        PROCESS_WORKERS,
        /** dynamic supervisors (simple_one_for_one) as the top of some scenarios */
        DYNAMIC
    }

    static final long STUBBORN_SHUTDOWN_MS = 200;
    /** Waits per scenario: each takes real seconds on the OTP side. */
    private static final int MAX_WAITS = 2;
    private static final int[] PERIODS_S = {5, 8};
    private static final int UNTIMED_PERIOD_S = 3600;

    private final Set<Feature> features;

    OtpScenarioGenerator(Set<Feature> features) {
        this.features = features.isEmpty() ? EnumSet.noneOf(Feature.class) : EnumSet.copyOf(features);
    }

    private boolean has(Feature feature) {
        return features.contains(feature);
    }

    /** The scenario numbered {@code id}, drawn from {@code seed}. */
    OtpScenario scenario(int id, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        if (has(Feature.DYNAMIC) && random.nextInt(4) == 0) {
            return dynamicScenario(id, random);
        }
        Sup top = sup(random, 0, "");
        List<List<String>> workers = new ArrayList<>();
        List<List<String>> sups = new ArrayList<>();
        sups.add(List.of());
        collect(top, List.of(), workers, sups);
        List<Op> ops = new ArrayList<>();
        int count = 1 + random.nextInt(8);
        int added = 0;
        int waits = 0;
        for (int i = 0; i < count; i++) {
            Op op = op(random, top, workers, sups, added++);
            if (op instanceof WaitOp && ++waits > MAX_WAITS) {
                op = new ExitOp(workers.get(random.nextInt(workers.size())), "crash");
            }
            ops.add(op);
        }
        ops.add(new Stop());
        return new OtpScenario(id, top, List.copyOf(ops));
    }

    /**
     * A dynamic top supervisor: children started on demand ({@code d0}, {@code d1}, ... after
     * the operation that starts them), crashed, exited, killed and terminated by name. A
     * worker's start is ignored only on its first attempt: OTP's simple_one_for_one keeps a
     * child whose restart returned ignore as a child without a process, which its own
     * shutdown then trips over.
     */
    private OtpScenario dynamicScenario(int id, SplittableRandom random) {
        Worker template = worker(random, "d", false);
        Dynamic top = new Dynamic(random.nextInt(6), period(random), template.restart(), template.shutdown(),
                template.process());
        // A stubborn child sits out its shutdown in real time on the OTP side: only the short one.
        boolean stubbornAllowed = top.process() && top.shutdown().equals(ShutdownSpec.timeout(STUBBORN_SHUTDOWN_MS));
        List<String> names = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        int starts = 1 + random.nextInt(4);
        int count = starts + random.nextInt(8);
        int waits = 0;
        for (int i = 0; i < count; i++) {
            List<Integer> kinds = new ArrayList<>(List.of(0, 0, 1, 1, 1));
            if (has(Feature.EXITS)) {
                kinds.add(2);
            }
            if (has(Feature.KILLS)) {
                kinds.add(3);
            }
            if (has(Feature.TIME) && waits < MAX_WAITS) {
                kinds.add(4);
            }
            if (has(Feature.CALLS)) {
                kinds.add(5);
            }
            int kind = i < starts ? 0 : kinds.get(random.nextInt(kinds.size()));
            String name = names.isEmpty() ? null : names.get(random.nextInt(names.size()));
            ops.add(switch (kind) {
                case 0 -> {
                    Worker drawn = worker(random, "d" + i, true);
                    names.add(drawn.id());
                    yield new StartDynamicOp(new Worker(drawn.id(), top.restart(), top.shutdown(), false,
                            drawn.failingStarts(), drawn.ignoredStarts().contains(1) ? Set.of(1) : Set.of(),
                            stubbornAllowed && random.nextInt(2) == 0, top.process()));
                }
                case 2 -> new ExitOp(List.of(name), exitReason(random));
                case 3 -> new KillOp(List.of(name));
                case 4 -> {
                    waits++;
                    yield new WaitOp(top.periodSeconds() * 1000L + 1500);
                }
                case 5 -> new TerminateDynamicOp(name);
                default -> new ExitOp(List.of(name), "crash");
            });
        }
        ops.add(new Stop());
        return new OtpScenario(id, top, List.copyOf(ops));
    }

    private int period(SplittableRandom random) {
        return has(Feature.TIME) ? PERIODS_S[random.nextInt(PERIODS_S.length)] : UNTIMED_PERIOD_S;
    }

    private String exitReason(SplittableRandom random) {
        List<String> reasons = new ArrayList<>(List.of("normal", "shutdown"));
        if (has(Feature.SHUTDOWN_TERM)) {
            reasons.add("shutdown:x");
        }
        return reasons.get(random.nextInt(reasons.size()));
    }

    private Sup sup(SplittableRandom random, int depth, String prefix) {
        Strategy strategy = Strategy.values()[random.nextInt(Strategy.values().length)];
        int intensity = random.nextInt(6);
        int period = period(random);
        List<Child> children = new ArrayList<>();
        int count = 1 + random.nextInt(depth == 0 ? 6 : 3);
        boolean anySignificant = false;
        for (int i = 0; i < count; i++) {
            String id = String.valueOf((char) ('a' + i));
            Child child = has(Feature.NESTED) && depth < 2 && random.nextInt(5) == 0
                    ? nested(random, "s" + prefix + id, depth)
                    : worker(random, id, false);
            anySignificant |= child.significant();
            children.add(child);
        }
        AutoShutdown auto = has(Feature.SIGNIFICANT) && anySignificant
                ? AutoShutdown.values()[random.nextInt(AutoShutdown.values().length)] : AutoShutdown.NEVER;
        return new Sup(strategy, intensity, period, auto, List.copyOf(children));
    }

    private RestartType restart(SplittableRandom random) {
        return has(Feature.RESTART_TYPES) ? RestartType.values()[random.nextInt(3)] : RestartType.PERMANENT;
    }

    private Worker worker(SplittableRandom random, String id, boolean added) {
        RestartType restart = restart(random);
        boolean stubborn = has(Feature.STUBBORN) && random.nextInt(8) == 0;
        ShutdownSpec shutdown = stubborn ? ShutdownSpec.timeout(STUBBORN_SHUTDOWN_MS)
                : has(Feature.BRUTAL_KILL) && random.nextInt(3) == 0 ? ShutdownSpec.BRUTAL_KILL
                : switch (random.nextInt(3)) {
                    case 0 -> ShutdownSpec.timeout(2000);
                    case 1 -> ShutdownSpec.timeout(5000);
                    default -> ShutdownSpec.INFINITY;
                };
        Set<Integer> failing = new HashSet<>();
        if (has(Feature.FAILED_STARTS) && random.nextInt(4) == 0) {
            failing.add(1 + random.nextInt(4));
            if (random.nextBoolean()) {
                failing.add(1 + random.nextInt(4));
            }
        }
        Set<Integer> ignored = new HashSet<>();
        if (has(Feature.IGNORE) && random.nextInt(6) == 0) {
            int n = 1 + random.nextInt(4);
            if (!failing.contains(n)) {
                ignored.add(n);
            }
        }
        boolean significant = has(Feature.SIGNIFICANT) && restart != RestartType.PERMANENT && random.nextInt(3) == 0;
        // zbmd's actors stop on their supervisor's shutdown, as a gen_server does; only a process
        // actor that traps exits can sit it out, as a proc_lib process can.
        boolean process = has(Feature.PROCESS_WORKERS) && random.nextInt(3) == 0 || stubborn;
        return new Worker(id, restart, shutdown, significant, Set.copyOf(failing), Set.copyOf(ignored), stubborn,
                process);
    }

    private Nested nested(SplittableRandom random, String id, int depth) {
        RestartType restart = restart(random);
        boolean significant = has(Feature.SIGNIFICANT) && restart != RestartType.PERMANENT && random.nextInt(3) == 0;
        ShutdownSpec shutdown = random.nextInt(4) == 0 ? ShutdownSpec.timeout(5000) : ShutdownSpec.INFINITY;
        return new Nested(id, restart, shutdown, significant, sup(random, depth + 1, id.substring(1)));
    }

    private static void collect(Sup sup, List<String> path, List<List<String>> workers, List<List<String>> sups) {
        for (Child child : sup.children()) {
            List<String> childPath = append(path, child.id());
            switch (child) {
                case Worker w -> workers.add(childPath);
                case Nested n -> {
                    sups.add(childPath);
                    collect(n.sup(), childPath, workers, sups);
                }
            }
        }
    }

    private Op op(SplittableRandom random, Sup top, List<List<String>> workers, List<List<String>> sups, int index) {
        List<Integer> kinds = new ArrayList<>(List.of(0, 0, 0)); // crashes are the common case
        if (has(Feature.EXITS)) {
            kinds.add(1);
        }
        if (has(Feature.KILLS)) {
            kinds.add(2);
        }
        if (has(Feature.TIME)) {
            kinds.add(3);
        }
        if (has(Feature.CALLS)) {
            kinds.add(4);
            kinds.add(4);
        }
        if (has(Feature.START_CHILD)) {
            kinds.add(5);
        }
        List<String> worker = workers.get(random.nextInt(workers.size()));
        return switch (kinds.get(random.nextInt(kinds.size()))) {
            case 1 -> new ExitOp(worker, exitReason(random));
            case 2 -> new KillOp(worker);
            case 3 -> new WaitOp(longestPeriodS(top) * 1000L + 1500);
            case 4 -> {
                List<String> sup = sups.get(random.nextInt(sups.size()));
                List<String> ids = childIds(top, sup);
                String id = random.nextInt(8) == 0 || ids.isEmpty() ? "z" : ids.get(random.nextInt(ids.size()));
                String call = List.of("terminate_child", "restart_child", "delete_child").get(random.nextInt(3));
                yield new CallOp(call, sup, id);
            }
            case 5 -> {
                List<String> sup = sups.get(random.nextInt(sups.size()));
                List<String> ids = childIds(top, sup);
                String id = random.nextInt(4) == 0 && !ids.isEmpty() ? ids.get(random.nextInt(ids.size()))
                        : "n" + index;
                Worker added = worker(random, id, true);
                if (!ids.contains(id)) {
                    workers.add(append(sup, id));
                }
                yield new StartChildOp(sup, added);
            }
            default -> new ExitOp(worker, "crash");
        };
    }

    /** The ids of the children a supervisor's spec has (not counting ones added later). */
    private static List<String> childIds(Sup top, List<String> path) {
        Sup sup = top;
        for (String id : path) {
            sup = sup.children().stream().filter(c -> c.id().equals(id)).map(c -> ((Nested) c).sup()).findFirst()
                    .orElseThrow();
        }
        return sup.children().stream().map(Child::id).toList();
    }

    private static int longestPeriodS(Sup sup) {
        int longest = sup.periodSeconds();
        for (Child child : sup.children()) {
            if (child instanceof Nested n) {
                longest = Math.max(longest, longestPeriodS(n.sup()));
            }
        }
        return longest;
    }

    private static List<String> append(List<String> path, String id) {
        List<String> longer = new ArrayList<>(path);
        longer.add(id);
        return List.copyOf(longer);
    }
}
