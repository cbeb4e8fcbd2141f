package io.zbmd.ml.tensor;

import io.zbmd.gpu.Backend;
import io.zbmd.gpu.DType;
import io.zbmd.gpu.memory.DeviceBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Owns the memory of the tensors made while it is current, and releases it all when it
 * closes, except what was {@linkplain #keep kept}. Tensor memory is off-heap and budgeted,
 * so it is released at a known point rather than whenever the garbage collector runs; this
 * is the JVM's usual answer (DJL's {@code NDManager} does the same).
 *
 * <pre>{@code
 * TensorScope model = TensorScope.create(backend);          // long-lived: parameters
 * try (var ignored = model.enter()) { net = new Sequential(...); }
 * for (Batch batch : loader) {
 *     try (TensorScope step = TensorScope.open(backend)) {  // one training step
 *         Tensor loss = F.crossEntropy(net.forward(x), y, 0);
 *         loss.backward();
 *         optimizer.step();
 *     }                                                      // intermediates released
 * }
 * }</pre>
 *
 * <p>Scopes nest per thread: {@link #open} makes a new scope current until it closes;
 * operations allocate their results in the current scope. A scope is used by one thread at a
 * time (an actor's turn); {@link #enter()} makes a long-lived scope current for a while.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<TensorScope> CURRENT = new ThreadLocal<>();

    private final Backend backend;
    private final List<Storage> storages = new ArrayList<>();
    private TensorScope previous;
    private Thread enteredBy;
    private boolean closed;

    private TensorScope(Backend backend) {
        this.backend = Objects.requireNonNull(backend, "backend must not be null");
    }

    /**
     * Makes a new scope current on this thread until it is closed.
     *
     * @param backend where its tensors live
     * @return the scope
     */
    public static TensorScope open(Backend backend) {
        TensorScope scope = new TensorScope(backend);
        scope.push();
        return scope;
    }

    /**
     * A scope that is not current: for long-lived tensors (a model's parameters, optimizer
     * state). Make it current with {@link #enter()}, close it when done with them.
     *
     * @param backend where its tensors live
     * @return the scope
     */
    public static TensorScope create(Backend backend) {
        return new TensorScope(backend);
    }

    /**
     * @return the current scope on this thread
     * @throws IllegalStateException if none is open
     */
    public static TensorScope current() {
        TensorScope scope = CURRENT.get();
        if (scope == null) {
            throw new IllegalStateException("no TensorScope is open on this thread: tensor operations allocate their"
                    + " results in the current scope; open one with TensorScope.open(backend)");
        }
        return scope;
    }

    /**
     * Makes this scope current until the returned frame is closed (then the previous one is
     * again).
     *
     * @return closes the frame, not the scope
     */
    public Frame enter() {
        checkOpen();
        push();
        return new Frame(this);
    }

    /** While a long-lived scope is current. */
    public static final class Frame implements AutoCloseable {
        private final TensorScope scope;
        private boolean done;

        private Frame(TensorScope scope) {
            this.scope = scope;
        }

        @Override
        public void close() {
            if (!done) {
                done = true;
                scope.pop();
            }
        }
    }

    private void push() {
        if (enteredBy != null) {
            throw new IllegalStateException("this TensorScope is already current on " + enteredBy.getName());
        }
        previous = CURRENT.get();
        enteredBy = Thread.currentThread();
        CURRENT.set(this);
    }

    private void pop() {
        if (CURRENT.get() != this) {
            throw new IllegalStateException("TensorScopes must be closed in the reverse order they were opened, on the"
                    + " thread that opened them");
        }
        CURRENT.set(previous);
        previous = null;
        enteredBy = null;
    }

    /** @return the backend its tensors live on */
    public Backend backend() {
        return backend;
    }

    Storage allocate(long elements, DType dtype) {
        checkOpen();
        long floats = dtype.bytes() == 4 ? elements : (elements + 1) / 2;
        DeviceBuffer buffer = backend.allocate(Math.max(1, floats));
        Storage storage = new Storage(buffer, dtype, backend, this);
        storages.add(storage);
        return storage;
    }

    /**
     * Moves a tensor's memory to another scope (typically the enclosing one), so that it
     * survives this scope's closing. Its views move with it.
     *
     * @param tensor a tensor whose memory this scope owns
     * @param into the scope that owns it from now on
     * @return the tensor
     */
    public Tensor keep(Tensor tensor, TensorScope into) {
        Storage storage = tensor.storage;
        if (storage.scope != this) {
            throw new IllegalArgumentException("the tensor's memory does not belong to this scope");
        }
        into.checkOpen();
        storages.remove(storage);
        into.storages.add(storage);
        storage.scope = into;
        return tensor;
    }

    /**
     * Releases one storage before the scope closes: for an operation's temporary that no
     * tensor outside the operation refers to. The newest storages are searched first.
     */
    void release(Storage storage) {
        for (int i = storages.size() - 1; i >= 0; i--) {
            if (storages.get(i) == storage) {
                storages.remove(i);
                storage.buffer.close();
                return;
            }
        }
        throw new IllegalStateException("bug: releasing a storage this scope does not own");
    }

    /** @return bytes of live tensor memory this scope owns */
    public long bytes() {
        long total = 0;
        for (Storage storage : storages) {
            total += storage.buffer.bytes();
        }
        return total;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this TensorScope is closed: its tensors were released");
        }
    }

    /** Releases every tensor's memory it owns; if it is current, the previous scope becomes current. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (enteredBy != null) {
            pop();
        }
        closed = true;
        for (Storage storage : storages) {
            storage.buffer.close();
        }
        storages.clear();
    }
}
