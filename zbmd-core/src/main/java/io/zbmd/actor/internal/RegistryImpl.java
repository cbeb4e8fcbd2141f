package io.zbmd.actor.internal;

import io.zbmd.actor.ActorRef;
import io.zbmd.actor.DeadLetterReason;
import io.zbmd.actor.NameTakenException;
import io.zbmd.actor.Registry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Names in a concurrent map for lock-free lookups; changes under one lock, which also
 * keeps each actor's list of names for release on termination.
 */
final class RegistryImpl implements Registry {
    private final Runtime runtime;
    private final ConcurrentHashMap<String, ActorCell<?>> byName = new ConcurrentHashMap<>();
    private final Map<ActorCell<?>, List<String>> byActor = new HashMap<>();

    RegistryImpl(Runtime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void register(String name, ActorRef<?> actor) {
        Objects.requireNonNull(name, "name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a registered name must not be blank");
        }
        ActorCell<?> cell = runtime.cellOf(actor);
        synchronized (this) {
            ActorCell<?> holder = byName.get(name);
            if (holder != null && !holder.isTerminated()) {
                throw new NameTakenException("the name '" + name + "' is taken by " + holder.path()
                        + "; unregister it first or pick another name");
            }
            if (holder != null) {
                forget(name, holder);
            }
            byName.put(name, cell);
            byActor.computeIfAbsent(cell, c -> new ArrayList<>(1)).add(name);
            // Dekker with ActorCell.finishTermination: it writes TERMINATED and then reads
            // `hasNames`; here `hasNames` is written and then TERMINATED is read.
            cell.hasNames = true;
            if (cell.isTerminated()) {
                forget(name, cell);
                throw new IllegalArgumentException("cannot register '" + name + "': " + cell.path() + " has ended");
            }
        }
    }

    @Override
    public synchronized boolean unregister(String name) {
        ActorCell<?> holder = byName.get(Objects.requireNonNull(name, "name must not be null"));
        if (holder == null) {
            return false;
        }
        forget(name, holder);
        return !holder.isTerminated();
    }

    private void forget(String name, ActorCell<?> holder) {
        byName.remove(name, holder);
        List<String> names = byActor.get(holder);
        if (names != null) {
            names.remove(name);
            if (names.isEmpty()) {
                byActor.remove(holder);
            }
        }
    }

    synchronized void releaseAll(ActorCell<?> cell) {
        List<String> names = byActor.remove(cell);
        if (names != null) {
            for (String name : names) {
                byName.remove(name, cell);
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <M> Optional<ActorRef<M>> whereis(String name) {
        ActorCell<?> cell = byName.get(Objects.requireNonNull(name, "name must not be null"));
        return cell == null || cell.isTerminated() ? Optional.empty() : Optional.of((ActorRef<M>) cell);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void tell(String name, Object message) {
        Objects.requireNonNull(message, () -> "message must not be null (tell to '" + name + "')");
        ActorCell<?> cell = byName.get(Objects.requireNonNull(name, "name must not be null"));
        if (cell == null) {
            runtime.deadLetter(name, message, DeadLetterReason.UNKNOWN_NAME);
        } else {
            ((ActorCell<Object>) cell).tell(message);
        }
    }

    @Override
    public Set<String> names() {
        TreeSet<String> live = new TreeSet<>();
        byName.forEach((name, cell) -> {
            if (!cell.isTerminated()) {
                live.add(name);
            }
        });
        return live;
    }
}
