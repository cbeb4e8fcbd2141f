package io.zbmd.cluster;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The message types that may cross nodes, each under a name of its own. A message of a type
 * not registered here is never sent (it becomes a dead letter on the sending node); a frame
 * that names a type not registered here is refused on the receiving node. The wire carries
 * the name, never a class name, and nothing is loaded because the wire names it.
 *
 * <p>Messages are encoded as CBOR by Jackson: records and plain classes with Jackson's usual
 * mapping, {@link io.zbmd.actor.ActorRef} fields as addresses. A field whose declared type
 * is an interface (a sealed protocol) needs Jackson's {@code @JsonTypeInfo(use = NAME)} on
 * that interface, and its implementations registered here too: their names are the type ids.
 * Every node of a cluster registers the same names for the same types.
 */
public final class MessageTypes {
    private final Map<String, Class<?>> byName;
    private final Map<Class<?>, String> byType;

    private MessageTypes(Map<String, Class<?>> byName) {
        this.byName = Map.copyOf(byName);
        Map<Class<?>, String> inverse = new LinkedHashMap<>();
        byName.forEach((name, type) -> inverse.put(type, name));
        this.byType = Map.copyOf(inverse);
    }

    /** @return a builder with no types */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the name {@code type} goes under, if it is registered */
    Optional<String> nameOf(Class<?> type) {
        return Optional.ofNullable(byType.get(type));
    }

    /** @return the type registered under {@code name}, if any */
    Optional<Class<?>> typeOf(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** @return the registered types by name */
    Map<String, Class<?>> all() {
        return byName;
    }

    @Override
    public String toString() {
        return "MessageTypes" + byName.keySet();
    }

    /** Collects the types; {@link #build()} checks that names and types are each used once. */
    public static final class Builder {
        private final Map<String, Class<?>> byName = new LinkedHashMap<>();

        private Builder() {}

        /**
         * @param name the type's name on the wire: letters, digits, '.', '-' and '_', at most 100
         * @param type the type
         * @return this builder
         * @throws IllegalArgumentException if the name is malformed or already taken, or the type
         *     is already registered under another name
         */
        public Builder register(String name, Class<?> type) {
            Objects.requireNonNull(name, "name must not be null");
            Objects.requireNonNull(type, "type must not be null");
            if (!name.matches("[A-Za-z0-9._-]{1,100}")) {
                throw new IllegalArgumentException("message type name '" + name + "' is not allowed; use 1 to 100"
                        + " letters, digits, '.', '-' or '_'");
            }
            Class<?> taken = byName.get(name);
            if (taken != null && taken != type) {
                throw new IllegalArgumentException("message type name '" + name + "' is already "
                        + taken.getName() + "; give " + type.getName() + " another name");
            }
            byName.forEach((other, registered) -> {
                if (registered == type && !other.equals(name)) {
                    throw new IllegalArgumentException(type.getName() + " is already registered as '" + other + "'");
                }
            });
            byName.put(name, type);
            return this;
        }

        /** @return the registered types */
        public MessageTypes build() {
            return new MessageTypes(byName);
        }
    }
}
