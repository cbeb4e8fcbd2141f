package io.zbmd.cluster;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.BasicPolymorphicTypeValidator;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.zbmd.actor.ActorAddress;
import io.zbmd.actor.ActorRef;
import java.io.IOException;
import java.util.function.Function;

/**
 * Encodes messages of registered types as CBOR (Jackson) and decodes them, refusing any other
 * type. Refs inside messages travel as addresses: {@code export} turns a ref into the
 * address the other node sends back to, {@code resolve} an address into a ref.
 */
final class Codec {
    private final MessageTypes types;
    private final ObjectMapper mapper;

    /** A message that cannot be encoded or decoded; its text says which and why. */
    static final class CodecException extends Exception {
        private static final long serialVersionUID = 1L;

        CodecException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    Codec(MessageTypes types, Function<ActorRef<?>, ActorAddress> export, Function<ActorAddress, ActorRef<?>> resolve) {
        this.types = types;
        CBORFactory factory = CBORFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
                .build();
        SimpleModule refs = new SimpleModule("zbmd-refs");
        refs.addSerializer(ActorRef.class, new RefSerializer(export));
        refs.addDeserializer(ActorRef.class, new RefDeserializer(resolve));
        this.mapper = new ObjectMapper(factory)
                // No type is ever named by its class on the wire: class-based type ids are all refused.
                .setPolymorphicTypeValidator(BasicPolymorphicTypeValidator.builder().build())
                .registerModule(refs);
        types.all().forEach((name, type) -> mapper.registerSubtypes(new NamedType(type, name)));
    }

    /** @return the type name and bytes of {@code message} */
    Encoded encode(Object message) throws CodecException {
        String name = types.nameOf(message.getClass()).orElseThrow(() -> new CodecException("a "
                + message.getClass().getName() + " cannot go to another node: its type is not registered; register it"
                + " with MessageTypes on every node", null));
        try {
            return new Encoded(name, mapper.writeValueAsBytes(message));
        } catch (IOException | RuntimeException e) {
            throw new CodecException("cannot encode a " + name + ": " + e.getMessage(), e);
        }
    }

    /** @return the message a frame carried */
    Object decode(String name, byte[] bytes, int offset, int length) throws CodecException {
        Class<?> type = types.typeOf(name).orElseThrow(() -> new CodecException("a frame named the message type '"
                + name + "', which is not registered here", null));
        try {
            return mapper.readValue(bytes, offset, length, type);
        } catch (IOException | RuntimeException e) {
            throw new CodecException("cannot decode a " + name + ": " + e.getMessage(), e);
        }
    }

    record Encoded(String name, byte[] bytes) {}

    /** A ref as the address [node, incarnation, id]. */
    @SuppressWarnings("rawtypes")
    private static final class RefSerializer extends JsonSerializer<ActorRef> {
        private final Function<ActorRef<?>, ActorAddress> export;

        RefSerializer(Function<ActorRef<?>, ActorAddress> export) {
            this.export = export;
        }

        @Override
        public void serialize(ActorRef ref, JsonGenerator out, SerializerProvider provider) throws IOException {
            ActorAddress address = export.apply(ref);
            out.writeStartArray();
            out.writeString(address.node());
            out.writeNumber(address.incarnation());
            out.writeNumber(address.id());
            out.writeEndArray();
        }
    }

    @SuppressWarnings("rawtypes")
    private static final class RefDeserializer extends JsonDeserializer<ActorRef> {
        private final Function<ActorAddress, ActorRef<?>> resolve;

        RefDeserializer(Function<ActorAddress, ActorRef<?>> resolve) {
            this.resolve = resolve;
        }

        @Override
        public ActorRef deserialize(JsonParser in, DeserializationContext context) throws IOException {
            if (in.currentToken() != JsonToken.START_ARRAY) {
                return (ActorRef) context.handleUnexpectedToken(ActorRef.class, in);
            }
            String node = in.nextTextValue();
            in.nextToken();
            long incarnation = in.getLongValue();
            in.nextToken();
            long id = in.getLongValue();
            if (node == null || in.nextToken() != JsonToken.END_ARRAY) {
                return (ActorRef) context.handleUnexpectedToken(ActorRef.class, in);
            }
            return resolve.apply(new ActorAddress(node, incarnation, id));
        }
    }
}
