package io.zbmd.actor.internal;

import io.zbmd.actor.ExitReason;
import io.zbmd.actor.ProcessContext;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A process actor's {@link ProcessContext}: as {@link CellContext}, but the actor's turn is
 * its own thread, for as long as its body runs.
 *
 * @param <M> the process's message type
 */
final class ProcessCellContext<M> extends CellContext<M> implements ProcessContext<M> {
    private final ProcessCell<M> process;

    ProcessCellContext(ProcessCell<M> process) {
        super(process);
        this.process = process;
    }

    @Override
    boolean isOwner() {
        return process.isProcessThread();
    }

    @Override
    public M receive() {
        checkTurn();
        return process.receive();
    }

    @Override
    public Optional<M> receive(Duration timeout) {
        checkTurn();
        return process.receive(timeout);
    }

    @Override
    public Optional<M> receive(Predicate<? super M> filter, Duration timeout) {
        checkTurn();
        return process.receive(filter, timeout);
    }

    @Override
    public Optional<Object> receiveAny(Predicate<Object> filter, Duration timeout) {
        checkTurn();
        return process.receiveAny(filter, timeout);
    }

    @Override
    public void exit(ExitReason reason) {
        process.exit(reason); // checks that its own body calls it, with a message of its own
    }
}
