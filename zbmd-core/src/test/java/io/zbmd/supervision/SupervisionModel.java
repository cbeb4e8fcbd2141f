package io.zbmd.supervision;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small, pure model of OTP supervisor semantics: strategies, restart types, intensity and
 * period, ordered shutdown, giving up and escalation. It predicts, for a tree and a sequence
 * of worker crashes, normal exits and clock ticks, the supervision log: which children are
 * restarted, which stop for good, which supervisors give up, in order.
 *
 * <p>It knows nothing of actors, threads or mailboxes: the real supervisors must agree with
 * it on every generated case ({@link SupervisionModelTest}).
 */
final class SupervisionModel {

    /** A supervisor node. */
    static final class Sup {
        final String path;
        final Strategy strategy;
        final int intensity;
        final long periodMs;
        final List<Node> children = new ArrayList<>();
        /** The children of its spec: a restarted supervisor starts from these again. */
        final List<Node> specChildren = new ArrayList<>();
        final ArrayDeque<Long> restarts = new ArrayDeque<>();
        Node asChild;
        Sup parent;
        boolean alive = true;

        Sup(String path, Strategy strategy, int intensity, long periodMs) {
            this.path = path;
            this.strategy = strategy;
            this.intensity = intensity;
            this.periodMs = periodMs;
        }

        SupervisorSpec toSpec(WorkerFactories factories) {
            SupervisorSpec spec = new SupervisorSpec(strategy, intensity, java.time.Duration.ofMillis(periodMs),
                    RestartCounting.EVERY_RESTART, Backoff.NONE, List.of());
            for (Node child : children) {
                ChildSpec childSpec = child.sub != null
                        ? ChildSpec.supervisor(child.id, child.sub.toSpec(factories))
                        : ChildSpec.worker(child.id, factories.worker(path + "/" + child.id));
                spec = spec.withChild(childSpec.withRestart(child.restart));
            }
            return spec;
        }
    }

    /** A child: a worker or a supervisor. */
    static final class Node {
        final String id;
        final RestartType restart;
        final int startIndex;
        final Sup sub;
        boolean running = true;

        Node(String id, RestartType restart, int startIndex, Sup sub) {
            this.id = id;
            this.restart = restart;
            this.startIndex = startIndex;
            this.sub = sub;
        }
    }

    /** Makes the real workers for {@link Sup#toSpec}. */
    interface WorkerFactories {
        io.zbmd.actor.ActorFactory<Object> worker(String path);
    }

    final Sup root;
    final List<String> log = new ArrayList<>();
    long nowMs;

    SupervisionModel(Sup root) {
        this.root = root;
    }

    // ---------------------------------------------------------------- generation

    static SupervisionModel generate(SplittableRandom random) {
        Sup root = supervisor("root", random);
        int children = 1 + random.nextInt(5);
        for (int i = 0; i < children; i++) {
            if (random.nextInt(4) == 0) {
                Sup sub = supervisor(root.path + "/s" + i, random);
                int grandchildren = 1 + random.nextInt(3);
                for (int j = 0; j < grandchildren; j++) {
                    sub.children.add(new Node("w" + j, restartType(random), j, null));
                }
                sub.specChildren.addAll(sub.children);
                Node node = new Node("s" + i, restartType(random), i, sub);
                sub.asChild = node;
                sub.parent = root;
                root.children.add(node);
            } else {
                root.children.add(new Node("w" + i, restartType(random), i, null));
            }
        }
        return new SupervisionModel(root);
    }

    private static Sup supervisor(String path, SplittableRandom random) {
        Strategy strategy = Strategy.values()[random.nextInt(3)];
        long[] periods = {1000, 2000, 5000};
        return new Sup(path, strategy, random.nextInt(4), periods[random.nextInt(periods.length)]);
    }

    private static RestartType restartType(SplittableRandom random) {
        int draw = random.nextInt(10);
        return draw < 6 ? RestartType.PERMANENT : draw < 8 ? RestartType.TRANSIENT : RestartType.TEMPORARY;
    }

    /** @return the paths of running workers, in a stable order */
    List<String> runningWorkers() {
        List<String> paths = new ArrayList<>();
        collectWorkers(root, paths);
        return paths;
    }

    private static void collectWorkers(Sup sup, List<String> into) {
        if (!sup.alive) {
            return;
        }
        for (Node child : sup.children) {
            if (child.running && child.sub == null) {
                into.add(sup.path + "/" + child.id);
            } else if (child.running) {
                collectWorkers(child.sub, into);
            }
        }
    }

    // ---------------------------------------------------------------- events

    void crash(String workerPath) {
        exit(workerPath, true);
    }

    void normalExit(String workerPath) {
        exit(workerPath, false);
    }

    void tick(long ms) {
        nowMs += ms;
    }

    private void exit(String workerPath, boolean failure) {
        int slash = workerPath.lastIndexOf('/');
        Sup sup = find(root, workerPath.substring(0, slash));
        Node child = node(sup, workerPath.substring(slash + 1));
        childExited(sup, child, failure);
    }

    private static Sup find(Sup sup, String path) {
        if (sup.path.equals(path)) {
            return sup;
        }
        for (Node child : sup.children) {
            if (child.sub != null) {
                Sup found = find(child.sub, path);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static Node node(Sup sup, String id) {
        for (Node child : sup.children) {
            if (child.id.equals(id)) {
                return child;
            }
        }
        throw new IllegalArgumentException("no child " + id + " in " + sup.path);
    }

    /** OTP: a child ended; restart per its type and the strategy, or give up. */
    private void childExited(Sup sup, Node child, boolean failure) {
        child.running = false;
        boolean restart = switch (child.restart) {
            case PERMANENT -> true;
            case TRANSIENT -> failure;
            case TEMPORARY -> false;
        };
        if (!restart) {
            log.add("stop " + sup.path + "/" + child.id);
            if (child.restart == RestartType.TEMPORARY) {
                sup.children.remove(child);
            }
            return;
        }
        sup.restarts.addLast(nowMs);
        while (!sup.restarts.isEmpty() && sup.restarts.peekFirst() < nowMs - sup.periodMs) {
            sup.restarts.removeFirst();
        }
        if (sup.restarts.size() > sup.intensity) {
            // The crashed child (a failure) is still suspended in place and is stopped with
            // the others; after a normal exit it is already gone.
            giveUp(sup, failure ? child : null);
            return;
        }
        if (sup.strategy == Strategy.ONE_FOR_ONE) {
            restart(sup, child);
            return;
        }
        List<Node> affected = new ArrayList<>();
        for (Node other : sup.children) {
            if (other != child && other.running
                    && (sup.strategy == Strategy.ONE_FOR_ALL || other.startIndex > child.startIndex)) {
                affected.add(other);
            }
        }
        for (Node other : affected) {
            other.running = false; // stopped in place, in reverse order: nothing is logged
        }
        affected.add(child);
        affected.sort(Comparator.comparingInt(n -> n.startIndex));
        for (Node restarted : affected) {
            if (restarted != child && restarted.restart == RestartType.TEMPORARY) {
                log.add("stop " + sup.path + "/" + restarted.id);
                sup.children.remove(restarted);
            } else {
                restart(sup, restarted);
            }
        }
    }

    private void restart(Sup sup, Node child) {
        child.running = true;
        log.add("restart " + sup.path + "/" + child.id);
        if (child.sub != null) {
            fresh(child.sub);
        }
    }

    /**
     * A supervisor started anew: the children of its spec all run again (temporary ones it
     * had dropped included, as a new OTP supervisor starts from its init), restarts empty.
     */
    private static void fresh(Sup sup) {
        sup.alive = true;
        sup.restarts.clear();
        sup.children.clear();
        sup.children.addAll(sup.specChildren);
        for (Node child : sup.children) {
            child.running = true;
            if (child.sub != null) {
                fresh(child.sub);
            }
        }
    }

    /** Past the intensity: stop every child in reverse start order, exit, escalate. */
    private void giveUp(Sup sup, Node suspended) {
        log.add("gaveup " + sup.path);
        if (suspended != null) {
            suspended.running = true; // suspended in place: its cell still has to be stopped
        }
        stopAll(sup);
        sup.alive = false;
        if (sup.parent != null) {
            childExited(sup.parent, sup.asChild, false); // exit reason shutdown: not a failure
        }
    }

    /** An orderly shutdown: each running child in reverse start order, sub-trees first. */
    private void stopAll(Sup sup) {
        List<Node> reverse = new ArrayList<>(sup.children);
        reverse.sort(Comparator.comparingInt((Node n) -> n.startIndex).reversed());
        for (Node child : reverse) {
            if (!child.running) {
                continue;
            }
            if (child.sub != null) {
                stopAll(child.sub);
                child.sub.alive = false;
            }
            child.running = false;
            log.add("stop " + sup.path + "/" + child.id);
            if (child.restart == RestartType.TEMPORARY) {
                sup.children.remove(child);
            }
        }
    }
}
