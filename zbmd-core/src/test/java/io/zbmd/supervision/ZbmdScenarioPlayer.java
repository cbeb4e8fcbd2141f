package io.zbmd.supervision;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.IgnoreStart;
import io.zbmd.actor.InjectedFault;
import io.zbmd.actor.ProcessActor;
import io.zbmd.actor.ProcessContext;
import io.zbmd.dispatch.DeterministicScheduler;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Plays an {@link OtpScenario} on zbmd's supervisors, through their public API, on the
 * deterministic dispatcher, and writes the trace the Erlang driver writes: every start and
 * end of a child in the order they happen, the answer of every call, and the tree after
 * every step.
 */
final class ZbmdScenarioPlayer {
    private static final Duration SETTLE_LIMIT = Duration.ofHours(1);

    /** What the driver tells a worker: exit with this reason. */
    record Exit(String reason) {}

    private final OtpScenario scenario;
    private final ActorSystem system;
    private final DeterministicScheduler sim;
    private final List<String> trace = new ArrayList<>();
    private final Map<List<String>, Integer> attempts = new HashMap<>();
    private final Set<ActorRef<?>> watched = new HashSet<>();
    /** Paths where start_child put a worker in place of the spec's child supervisor. */
    private final Set<List<String>> nowWorkers = new HashSet<>();
    /** A dynamic top supervisor's children: the scenario's name of each child id. */
    private final Map<String, String> dynamicNames = new HashMap<>();
    /** The name of the dynamic child being started, until its ChildStarted is heard. */
    private String starting;
    private Supervisor top;
    private DynamicSupervisor<Worker, Object> dynamicTop;
    private ActorRef<?> topRef;

    private ZbmdScenarioPlayer(OtpScenario scenario, long seed) {
        this.scenario = scenario;
        this.system = ActorSystem.create(ActorSystemConfig.deterministic(seed).withName("otp-" + scenario.id()));
        this.sim = system.deterministic();
    }

    /** @return the scenario's trace, as the Erlang driver writes it */
    static List<String> play(OtpScenario scenario, long seed) {
        ZbmdScenarioPlayer player = new ZbmdScenarioPlayer(scenario, seed);
        try (ActorSystem ignored = player.system) {
            return player.run();
        }
    }

    private List<String> run() {
        system.events().subscribe(SupervisionEvent.ChildStarted.class,
                e -> childStarted(e.supervisor(), e.childId(), e.child()));
        system.events().subscribe(SupervisionEvent.ChildRestarted.class,
                e -> childStarted(e.supervisor(), e.childId(), e.child()));
        switch (scenario.top()) {
            case Sup sup -> {
                try {
                    top = Supervisors.start(system, "top", spec(sup, List.of()));
                } catch (SupervisorStartException e) {
                    settle();
                    trace.add("start_failed top");
                    return trace;
                }
                topRef = top.ref();
            }
            case Dynamic dynamic -> {
                dynamicTop = Supervisors.startDynamic(system, "top", dynamicSpec(dynamic));
                topRef = dynamicTop.ref();
            }
        }
        watchEnd(topRef, List.of());
        settle();
        trace.add("tree " + topTree());
        for (Op op : scenario.ops()) {
            trace.add("op " + describe(op));
            if (!hasEnded(topRef)) {
                apply(op);
            }
            settle();
            trace.add("tree " + (hasEnded(topRef) ? "dead" : topTree()));
        }
        return trace;
    }

    private String topTree() {
        return dynamicTop != null ? dynamicTree() : tree(top);
    }

    // ------------------------------------------------------------------ the tree as zbmd specs

    private SupervisorSpec spec(Sup sup, List<String> path) {
        SupervisorSpec spec = switch (sup.strategy()) {
            case ONE_FOR_ONE -> SupervisorSpec.oneForOne();
            case ONE_FOR_ALL -> SupervisorSpec.oneForAll();
            case REST_FOR_ONE -> SupervisorSpec.restForOne();
        };
        spec = spec.withIntensity(sup.intensity(), Duration.ofSeconds(sup.periodSeconds()))
                .withAutoShutdown(switch (sup.autoShutdown()) {
                    case NEVER -> AutoShutdown.NEVER;
                    case ANY_SIGNIFICANT -> AutoShutdown.ANY_SIGNIFICANT;
                    case ALL_SIGNIFICANT -> AutoShutdown.ALL_SIGNIFICANT;
                });
        for (Child child : sup.children()) {
            spec = spec.withChild(childSpec(child, path));
        }
        return spec;
    }

    private ChildSpec childSpec(Child child, List<String> parent) {
        List<String> path = append(parent, child.id());
        ChildSpec spec = switch (child) {
            case Worker w -> w.process() ? ChildSpec.process(w.id(), processWorker(path, w))
                    : ChildSpec.worker(w.id(), worker(path, w));
            case Nested n -> ChildSpec.supervisor(n.id(), spec(n.sup(), path));
        };
        return spec.withRestart(child.restart()).withShutdown(shutdown(child.shutdown()))
                .withSignificant(child.significant());
    }

    private DynamicSupervisorSpec<Worker, Object> dynamicSpec(Dynamic dynamic) {
        DynamicSupervisorSpec<Worker, Object> spec = dynamic.process()
                ? DynamicSupervisorSpec.ofProcess("d", w -> processWorker(List.of(w.id()), w))
                : DynamicSupervisorSpec.of("d", (ctx, w) -> worker(List.of(w.id()), w).create(ctx));
        return spec.withRestart(dynamic.restart())
                .withShutdown(shutdown(dynamic.shutdown()))
                .withIntensity(dynamic.intensity(), Duration.ofSeconds(dynamic.periodSeconds()));
    }

    private static Shutdown shutdown(ShutdownSpec spec) {
        return spec.brutalKill() ? Shutdown.brutalKill()
                : spec.timeoutMs() < 0 ? Shutdown.infinity() : Shutdown.timeout(Duration.ofMillis(spec.timeoutMs()));
    }

    /** Counts the attempt; a failing or ignored one is written down and thrown. */
    private void attempt(List<String> path, Worker w) {
        int n = attempts.merge(path, 1, Integer::sum);
        if (w.failingStarts().contains(n)) {
            trace.add("start_failed " + OtpScenario.text(path));
            throw new InjectedFault("start " + n + " of " + OtpScenario.text(path) + " fails");
        }
        if (w.ignoredStarts().contains(n)) {
            trace.add("ignored " + OtpScenario.text(path));
            throw new IgnoreStart("start " + n + " of " + OtpScenario.text(path) + " is ignored");
        }
    }

    private ActorFactory<Object> worker(List<String> path, Worker w) {
        return ctx -> {
            attempt(path, w);
            return new Actor<>() {
                @Override
                public void onStart() {
                    trace.add("start " + OtpScenario.text(path));
                }

                @Override
                public void onMessage(Object message) {
                    if (message instanceof Exit exit) {
                        exit(ctx, exit.reason());
                    }
                }

                @Override
                public void onStop(ExitReason reason) {
                    trace.add("end " + OtpScenario.text(path) + " " + text(reason));
                }
            };
        };
    }

    /**
     * A worker as a process actor, as OTP's proc_lib worker: its init counts the attempt and
     * says it started (a stubborn one traps exits first), its body ignores everything but the
     * driver's exits, so a stubborn one sits out its supervisor's shutdown until it is killed.
     */
    private ProcessActor<Object> processWorker(List<String> path, Worker w) {
        return new ProcessActor<>() {
            @Override
            public void init(ProcessContext<Object> ctx) {
                ctx.trapExits(w.stubborn());
                attempt(path, w);
                trace.add("start " + OtpScenario.text(path));
            }

            @Override
            public void run(ProcessContext<Object> ctx) {
                while (true) {
                    if (ctx.receive() instanceof Exit exit) {
                        ctx.exit(exitReason(exit.reason())); // Erlang's exit/1: not trappable
                    }
                }
            }

            @Override
            public void onStop(ExitReason reason) {
                trace.add("end " + OtpScenario.text(path) + " " + text(reason));
            }
        };
    }

    private static void exit(ActorContext<?> ctx, String reason) {
        ExitReason exit = exitReason(reason);
        if (exit.isNormal()) {
            ctx.stopSelf();
        } else {
            ctx.exit(ctx.self(), exit);
        }
    }

    /** The driver's exit reasons; a crash is thrown (an injected fault: logged quietly). */
    private static ExitReason exitReason(String reason) {
        return switch (reason) {
            case "crash" -> throw new InjectedFault("crash");
            case "normal" -> ExitReason.NORMAL;
            case "shutdown" -> ExitReason.SHUTDOWN;
            case "shutdown:x" -> ExitReason.shutdown("x");
            default -> throw new IllegalArgumentException("no such exit in the scenarios: " + reason);
        };
    }

    private static String text(ExitReason reason) {
        return switch (reason) {
            case ExitReason.Normal n -> "normal";
            case ExitReason.Shutdown s -> s.detail() == null ? "shutdown" : "shutdown:" + s.detail();
            case ExitReason.Killed k -> "killed";
            case ExitReason.Kill k -> "killed";
            case ExitReason.Crash c -> "crash";
            case ExitReason.Custom c -> c.description();
        };
    }

    // ------------------------------------------------------------------ supervisors' ends

    private void childStarted(String supervisorPath, String childId, ActorRef<?> child) {
        if (dynamicTop != null) {
            if (starting != null) {
                dynamicNames.put(childId, starting);
                starting = null;
            }
            return;
        }
        List<String> path = append(scenarioPath(supervisorPath), childId);
        if (isSupervisor(path)) {
            watchEnd(child, path);
        }
    }

    /** {@code /top#2/sb#5} is [sb]: actors are named after their child ids, under "top". */
    private static List<String> scenarioPath(String actorPath) {
        List<String> path = new ArrayList<>();
        for (String segment : actorPath.split("/")) {
            if (!segment.isEmpty()) {
                path.add(segment.substring(0, segment.indexOf('#')));
            }
        }
        return List.copyOf(path.subList(1, path.size()));
    }

    private void watchEnd(ActorRef<?> ref, List<String> path) {
        if (watched.add(ref)) {
            system.terminationOf(ref).thenAccept(reason -> trace.add("end " + OtpScenario.text(path) + " "
                    + text(reason)));
        }
    }

    private boolean isSupervisor(List<String> path) {
        if (nowWorkers.contains(path) || !(scenario.top() instanceof Sup topSup)) {
            return false;
        }
        Sup sup = topSup;
        for (int i = 0; i < path.size(); i++) {
            String id = path.get(i);
            Optional<Child> child = sup.children().stream().filter(c -> c.id().equals(id)).findFirst();
            if (child.isEmpty() || !(child.get() instanceof Nested n)) {
                return false;
            }
            if (i == path.size() - 1) {
                return true;
            }
            sup = n.sup();
        }
        return false;
    }

    // ------------------------------------------------------------------ operations

    private void apply(Op op) {
        switch (op) {
            case ExitOp exit -> refOf(exit.path()).ifPresentOrElse(ref -> ref.tell(new Exit(exit.reason())),
                    () -> trace.add("no_such_child " + OtpScenario.text(exit.path())));
            case KillOp kill -> refOf(kill.path()).ifPresentOrElse(this::kill,
                    () -> trace.add("no_such_child " + OtpScenario.text(kill.path())));
            case WaitOp wait -> sim.advanceTime(Duration.ofMillis(wait.ms()));
            case CallOp call -> call(call);
            case StartChildOp start -> startChild(start);
            case StartDynamicOp start -> {
                starting = start.worker().id();
                trace.add("call " + answer(dynamicTop.startChild(start.worker())));
                starting = null;
            }
            case TerminateDynamicOp terminate -> dynamicChild(terminate.name()).ifPresentOrElse(
                    ref -> trace.add("call " + answer(dynamicTop.terminateChild(ref))),
                    () -> trace.add("no_such_child " + terminate.name()));
            case Stop stop -> {
                if (dynamicTop != null) {
                    dynamicTop.stop();
                } else {
                    top.stop();
                }
            }
        }
    }

    private void kill(ActorRef<?> target) {
        system.exit(target, ExitReason.KILL);
    }

    private void call(CallOp call) {
        Optional<Supervisor> sup = supervisorAt(call.supervisor());
        if (sup.isEmpty()) {
            trace.add("call no_such_supervisor");
            return;
        }
        CompletableFuture<?> answer = switch (call.call()) {
            case "terminate_child" -> sup.get().terminateChild(call.childId());
            case "restart_child" -> sup.get().restartChild(call.childId());
            case "delete_child" -> sup.get().deleteChild(call.childId());
            default -> throw new IllegalArgumentException(call.call());
        };
        trace.add("call " + answer(answer));
    }

    private void startChild(StartChildOp start) {
        Optional<Supervisor> sup = supervisorAt(start.supervisor());
        if (sup.isEmpty()) {
            trace.add("call no_such_supervisor");
            return;
        }
        List<String> path = append(start.supervisor(), start.child().id());
        boolean supervisorBefore = isSupervisor(path);
        nowWorkers.add(path); // before the call: the start is published during it
        String answer = answer(sup.get().startChild(childSpec(start.child(), start.supervisor())));
        if (!answer.startsWith("ok") && supervisorBefore) {
            nowWorkers.remove(path); // the spec's child supervisor is still there
        }
        trace.add("call " + answer);
    }

    private String answer(CompletableFuture<?> future) {
        runUntilDone(future);
        try {
            return future.join() == null ? "ok undefined" : "ok";
        } catch (CompletionException e) {
            return switch (e.getCause()) {
                case ChildRequestException refused -> "error " + refused.refusal().name().toLowerCase();
                case ChildStartException failed -> "error start_failed";
                case IllegalArgumentException badSpec -> "error bad_spec";
                default -> "error " + e.getCause();
            };
        }
    }

    // ------------------------------------------------------------------ finding things

    private Optional<Supervisor> supervisorAt(List<String> path) {
        Supervisor sup = top;
        for (String id : path) {
            Optional<Supervisor> child;
            try {
                child = await(sup.childSupervisor(id));
            } catch (CompletionException e) {
                return Optional.empty();
            }
            if (child.isEmpty()) {
                return Optional.empty();
            }
            sup = child.get();
        }
        return hasEnded(sup.ref()) ? Optional.empty() : Optional.of(sup);
    }

    private Optional<ActorRef<Object>> refOf(List<String> path) {
        if (dynamicTop != null) {
            return dynamicChild(path.getFirst());
        }
        return supervisorAt(path.subList(0, path.size() - 1)).flatMap(sup -> childOf(sup, path.getLast()));
    }

    private Optional<ActorRef<Object>> childOf(Supervisor sup, String id) {
        try {
            return await(sup.<Object>child(id));
        } catch (CompletionException e) {
            return Optional.empty();
        }
    }

    /** The running child of the dynamic top supervisor that the scenario calls {@code name}. */
    private Optional<ActorRef<Object>> dynamicChild(String name) {
        for (ChildInfo child : await(dynamicTop.children())) {
            if (child.status() == ChildStatus.RUNNING && name.equals(dynamicNames.get(child.id()))) {
                @SuppressWarnings("unchecked")
                ActorRef<Object> ref = (ActorRef<Object>) child.ref();
                return Optional.of(ref);
            }
        }
        return Optional.empty();
    }

    /**
     * A dynamic supervisor's children, sorted: OTP does not order simple_one_for_one's
     * which_children, and a restarting child there has neither an id nor a process ({@code ?}).
     */
    private String dynamicTree() {
        List<String> parts = new ArrayList<>();
        for (ChildInfo child : await(dynamicTop.children())) {
            parts.add(switch (child.status()) {
                case RUNNING -> dynamicNames.get(child.id()) + ":running";
                case RESTARTING -> "?:restarting";
                case NOT_RUNNING -> "?:undefined";
            });
        }
        parts.sort(null);
        return "[" + String.join(" ", parts) + "]";
    }

    private String tree(Supervisor sup) {
        List<ChildInfo> children;
        try {
            children = await(sup.children());
        } catch (CompletionException e) {
            return "dead";
        }
        List<String> parts = new ArrayList<>();
        for (ChildInfo child : children) {
            String state = switch (child.status()) {
                case NOT_RUNNING -> "undefined";
                case RESTARTING -> "restarting";
                case RUNNING -> child.kind() == ChildKind.SUPERVISOR
                        ? await(sup.childSupervisor(child.id())).map(this::tree).orElse("dead") : "running";
            };
            parts.add(child.id() + ":" + state);
        }
        return "[" + String.join(" ", parts) + "]";
    }

    private static boolean hasEnded(ActorRef<?> ref) {
        return io.zbmd.actor.internal.SupervisionSupport.hasEnded(ref);
    }

    // ------------------------------------------------------------------ driving the dispatcher

    private <T> T await(CompletableFuture<T> future) {
        runUntilDone(future);
        return future.join();
    }

    private void runUntilDone(CompletableFuture<?> future) {
        if (!sim.runUntil(future::isDone, SETTLE_LIMIT)) {
            throw new AssertionError("scenario " + scenario.id() + ": no answer");
        }
    }

    /** Runs until nothing is runnable and no timer is pending: a supervisor waiting out a shutdown timeout is not done. */
    private void settle() {
        for (int round = 0; round < 100_000; round++) {
            sim.runUntilIdle();
            if (system.metrics().pendingTimers() == 0) {
                return;
            }
            sim.runUntil(() -> system.metrics().pendingTimers() == 0, SETTLE_LIMIT);
        }
        throw new AssertionError("scenario " + scenario.id() + " does not settle");
    }

    private static String describe(Op op) {
        return switch (op) {
            case ExitOp e -> "exit " + OtpScenario.text(e.path()) + " " + e.reason();
            case KillOp k -> "kill " + OtpScenario.text(k.path());
            case WaitOp w -> "wait " + w.ms();
            case CallOp c -> c.call() + " " + OtpScenario.text(c.supervisor()) + " " + c.childId();
            case StartChildOp s -> "start_child " + OtpScenario.text(s.supervisor()) + " " + s.child().id();
            case StartDynamicOp s -> "start_child top " + s.worker().id();
            case TerminateDynamicOp t -> "terminate_child top " + t.name();
            case Stop s -> "stop";
        };
    }

    private static List<String> append(List<String> path, String id) {
        List<String> longer = new ArrayList<>(path);
        longer.add(id);
        return List.copyOf(longer);
    }
}
