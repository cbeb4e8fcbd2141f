package io.zbmd.actor.internal;

import io.zbmd.actor.ActorContext;
import io.zbmd.actor.ActorFactory;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.Cancellable;
import io.zbmd.actor.ExitReason;
import io.zbmd.actor.MonitorRef;
import io.zbmd.actor.ProcessActor;
import io.zbmd.actor.SpawnOptions;
import io.zbmd.actor.Timers;
import java.time.Duration;

/**
 * An actor's {@link ActorContext}: a separate object from its ref (the {@link ActorCell}), so
 * that holding a ref never gives access to the actor's own operations, and checked on every
 * use that changes the actor (spawning, linking, monitoring, timers, stopping) to run on the
 * thread of the actor's turn, as Pekko's typed {@code ActorContext} is. A context kept by a
 * callback, a future or another actor and used from there would race with the actor's own
 * turns; here it fails at once with a message naming the actor and the thread. {@link #self()},
 * {@link #system()} and {@link #nanoTime()} read nothing of the actor's state and work from
 * anywhere.
 *
 * @param <M> the actor's message type
 */
class CellContext<M> implements ActorContext<M> {
    final ActorCell<M> cell;
    /**
     * The thread running the actor's turn (or its factory, at its start), null between turns.
     * Written and read by that thread alone, so a plain field: a thread never finds its own
     * identity here unless it wrote it.
     */
    Thread owner;

    CellContext(ActorCell<M> cell) {
        this.cell = cell;
    }

    /** @return the cell behind a context that the runtime handed out */
    static ActorCell<?> cellOf(ActorContext<?> context) {
        if (context instanceof CellContext<?> ours) {
            return ours.cell;
        }
        throw new IllegalArgumentException("not a context of this runtime: " + context);
    }

    /** Throws unless the calling thread is running the actor's turn (or its start). */
    void checkTurn() {
        if (!isOwner()) {
            throw new IllegalStateException("the context of " + cell.path() + " was used on thread '"
                    + Thread.currentThread().getName() + "', outside the actor's turn: an actor's context may be"
                    + " used only while the actor handles a message (and in its factory and hooks); from elsewhere,"
                    + " send it a message through its ref (self())");
        }
    }

    boolean isOwner() {
        return owner == Thread.currentThread();
    }

    @Override
    public final ActorRef<M> self() {
        return cell;
    }

    @Override
    public final ActorSystem system() {
        return cell.runtime.system;
    }

    @Override
    public final <C> ActorRef<C> spawn(String name, ActorFactory<C> factory) {
        checkTurn();
        return cell.spawn(name, factory);
    }

    @Override
    public final <C> ActorRef<C> spawn(SpawnOptions options, ActorFactory<C> factory) {
        checkTurn();
        return cell.spawn(options, factory);
    }

    @Override
    public final <C> ActorRef<C> spawnProcess(SpawnOptions options, ProcessActor<C> body) {
        checkTurn();
        return cell.spawnProcess(options, body);
    }

    @Override
    public final void stop(ActorRef<?> child) {
        checkTurn();
        cell.stop(child);
    }

    @Override
    public final void stopSelf() {
        checkTurn();
        cell.stopSelf();
    }

    @Override
    public final void link(ActorRef<?> other) {
        checkTurn();
        cell.link(other);
    }

    @Override
    public final void unlink(ActorRef<?> other) {
        checkTurn();
        cell.unlink(other);
    }

    @Override
    public final MonitorRef monitor(ActorRef<?> other) {
        checkTurn();
        return cell.monitor(other);
    }

    @Override
    public final boolean demonitor(MonitorRef monitor) {
        checkTurn();
        return cell.demonitor(monitor);
    }

    @Override
    public final void trapExits(boolean trap) {
        checkTurn();
        cell.trapExits(trap);
    }

    @Override
    public final void exit(ActorRef<?> target, ExitReason reason) {
        checkTurn();
        cell.exit(target, reason);
    }

    @Override
    public final long nanoTime() {
        return cell.nanoTime();
    }

    @Override
    public final Timers<M> timers() {
        checkTurn();
        return cell.timers();
    }

    @Override
    public final <T> Cancellable sendAfter(ActorRef<T> target, T message, Duration delay) {
        checkTurn();
        return cell.sendAfter(target, message, delay);
    }

    @Override
    public final void charge(int reductions) {
        checkTurn();
        cell.charge(reductions);
    }

    @Override
    public String toString() {
        return "ActorContext[" + cell.path() + "]";
    }
}
