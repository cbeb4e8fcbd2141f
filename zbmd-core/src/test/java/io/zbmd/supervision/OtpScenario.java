package io.zbmd.supervision;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A supervision scenario that both Erlang/OTP ({@code src/test/erlang/otp_supervision.erl})
 * and zbmd ({@link ZbmdScenarioPlayer}) can play: a supervision tree, then operations on it.
 * Rendered as Erlang terms for the OTP side ({@link #toErlang()}).
 *
 * @param id its number in the run
 * @param top the top supervisor: a static one with its tree, or a dynamic one
 * @param ops what happens, in order; the last is {@link Op.Stop}
 */
record OtpScenario(int id, Top top, List<Op> ops) {

    /** The top supervisor. */
    sealed interface Top {
        String toErlang();
    }

    /** A supervisor's flags and children. */
    record Sup(Strategy strategy, int intensity, int periodSeconds, AutoShutdown autoShutdown, List<Child> children)
            implements Top {
        @Override
        public String toErlang() {
            return "{sup, " + strategy.name().toLowerCase() + ", " + intensity + ", " + periodSeconds + ", "
                    + autoShutdown.name().toLowerCase() + ", ["
                    + children.stream().map(Child::toErlang).collect(Collectors.joining(", ")) + "]}";
        }
    }

    /**
     * A dynamic supervisor: OTP's {@code simple_one_for_one}, zbmd's {@link DynamicSupervisor};
     * it starts empty, its children come from {@link StartDynamicOp}s and share one restart
     * type and shutdown; in zbmd they are actors, or process actors if {@code process}.
     */
    record Dynamic(int intensity, int periodSeconds, RestartType restart, ShutdownSpec shutdown, boolean process)
            implements Top {
        @Override
        public String toErlang() {
            return "{dyn, " + intensity + ", " + periodSeconds + ", " + restart.name().toLowerCase() + ", "
                    + shutdown.toErlang() + "}";
        }
    }

    /** OTP's auto_shutdown. */
    enum AutoShutdown { NEVER, ANY_SIGNIFICANT, ALL_SIGNIFICANT }

    /** {@code brutal_kill}, a timeout in ms, or {@code infinity} (-1). */
    record ShutdownSpec(boolean brutalKill, long timeoutMs) {
        static final ShutdownSpec BRUTAL_KILL = new ShutdownSpec(true, 0);
        static final ShutdownSpec INFINITY = new ShutdownSpec(false, -1);

        static ShutdownSpec timeout(long ms) {
            return new ShutdownSpec(false, ms);
        }

        String toErlang() {
            return brutalKill ? "brutal_kill" : timeoutMs < 0 ? "infinity" : Long.toString(timeoutMs);
        }
    }

    /** A child of a supervisor. */
    sealed interface Child {
        String id();

        RestartType restart();

        ShutdownSpec shutdown();

        boolean significant();

        String toErlang();
    }

    /**
     * A worker: its Nth start (counting every attempt for its path) fails if N is in
     * {@code failingStarts}, is ignored if N is in {@code ignoredStarts}; a stubborn one
     * ignores its supervisor's shutdown (its timeout expires); a process one is a zbmd
     * process actor (in OTP, every worker is a process).
     */
    record Worker(String id, RestartType restart, ShutdownSpec shutdown, boolean significant, Set<Integer> failingStarts,
            Set<Integer> ignoredStarts, boolean stubborn, boolean process) implements Child {
        @Override
        public String toErlang() {
            return "{" + id + ", worker, " + restart.name().toLowerCase() + ", " + shutdown.toErlang() + ", "
                    + significant + ", " + behaviour() + "}";
        }

        /** @return how it starts and stops, as the Erlang driver reads it */
        String behaviour() {
            return "{" + list(failingStarts) + ", " + list(ignoredStarts) + ", " + stubborn + "}";
        }

        private static String list(Set<Integer> numbers) {
            return "[" + numbers.stream().sorted().map(String::valueOf).collect(Collectors.joining(", ")) + "]";
        }
    }

    /** A child supervisor. */
    record Nested(String id, RestartType restart, ShutdownSpec shutdown, boolean significant, Sup sup)
            implements Child {
        @Override
        public String toErlang() {
            return "{" + id + ", supervisor, " + restart.name().toLowerCase() + ", " + shutdown.toErlang() + ", "
                    + significant + ", " + sup.toErlang() + "}";
        }
    }

    /** An operation; paths are child ids from the top supervisor down. */
    sealed interface Op {
        String toErlang();
    }

    /** A worker exits by itself with {@code reason}: crash, normal, shutdown, or {shutdown, x}. */
    record ExitOp(List<String> path, String reason) implements Op {
        @Override
        public String toErlang() {
            return "{exit, " + OtpScenario.path(path) + ", " + (reason.equals("shutdown:x") ? "{shutdown, x}" : reason) + "}";
        }
    }

    /** An untrappable kill of a child from outside. */
    record KillOp(List<String> path) implements Op {
        @Override
        public String toErlang() {
            return "{kill, " + OtpScenario.path(path) + "}";
        }
    }

    /** Time passes. */
    record WaitOp(long ms) implements Op {
        @Override
        public String toErlang() {
            return "{wait_ms, " + ms + "}";
        }
    }

    /** A call to a supervisor: terminate_child, restart_child or delete_child of {@code childId}. */
    record CallOp(String call, List<String> supervisor, String childId) implements Op {
        @Override
        public String toErlang() {
            return "{" + call + ", " + path(supervisor) + ", " + childId + "}";
        }
    }

    /** start_child on a supervisor. */
    record StartChildOp(List<String> supervisor, Child child) implements Op {
        @Override
        public String toErlang() {
            return "{start_child, " + path(supervisor) + ", " + child.toErlang() + "}";
        }
    }

    /** start_child on the dynamic top supervisor: a worker named {@code worker.id()}. */
    record StartDynamicOp(Worker worker) implements Op {
        @Override
        public String toErlang() {
            return "{start_dyn, " + worker.id() + ", " + worker.behaviour() + "}";
        }
    }

    /** terminate_child on the dynamic top supervisor, of the running worker named {@code name}. */
    record TerminateDynamicOp(String name) implements Op {
        @Override
        public String toErlang() {
            return "{terminate_dyn, " + name + "}";
        }
    }

    /** The top supervisor is stopped (the last operation). */
    record Stop() implements Op {
        @Override
        public String toErlang() {
            return "stop";
        }
    }

    String toErlang() {
        return "{scenario, " + id + ", " + top.toErlang() + ", ["
                + ops.stream().map(Op::toErlang).collect(Collectors.joining(", ")) + "]}.";
    }

    static String path(List<String> path) {
        return "[" + String.join(", ", path) + "]";
    }

    /** The path as the traces write it: {@code top}, {@code a}, {@code s/x}. */
    static String text(List<String> path) {
        return path.isEmpty() ? "top" : String.join("/", path);
    }
}
