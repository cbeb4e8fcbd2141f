package io.zbmd.cluster;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.JoinRsp;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.Util;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's door, right below JGroups' membership protocol (GMS): a node proves that it
 * holds the cluster's secret on every request to join or merge and on every answer to one,
 * with an HMAC-SHA256 of the cluster's name, its own address and the request's kind, keyed
 * by the secret (as Erlang's distribution proves the cookie with a digest and never sends it).
 * A request without a valid proof is refused (a join gets a rejection, a merge is declined),
 * logged, counted and reported; an answer without one is dropped, except a join's rejection,
 * which admits nothing and lets the refused node fail at once with the reason.
 *
 * <p>JGroups' own {@code AUTH} protocol would do the same, but its header names the token's
 * class on the wire and instantiates it by reflection; this protocol's header is known by a
 * number and holds bytes only. It proves possession of the secret, not secrecy of the
 * traffic: on a network you do not trust, add TLS to the transport.
 */
final class SecretJoin extends Protocol {
    /** This protocol's number in JGroups' registry (user protocols start at 1024). */
    static final short PROTOCOL_ID = 1917;
    /** Its header's magic number (user headers start at 1024). */
    static final short HEADER_MAGIC = 1917;
    private static final Logger LOG = LoggerFactory.getLogger(SecretJoin.class);
    private static final short GMS_ID = ClassConfigurator.getProtocolId(GMS.class);
    private static final int PROOF_BYTES = 32;

    static {
        ClassConfigurator.addProtocol(PROTOCOL_ID, SecretJoin.class);
        ClassConfigurator.add(HEADER_MAGIC, Proof.class);
    }

    private final String cluster;
    private final SecretKeySpec key;
    private final java.util.function.BiConsumer<String, String> onRefused;
    private final AtomicLong refused = new AtomicLong();

    /**
     * @param cluster the cluster's name, bound into every proof
     * @param secret the cluster's secret
     * @param onRefused told of each refused node and what it asked
     */
    SecretJoin(String cluster, String secret, java.util.function.BiConsumer<String, String> onRefused) {
        this.cluster = cluster;
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.onRefused = onRefused;
        setId(PROTOCOL_ID);
    }

    /** @return the requests and answers refused so far */
    long refusedCount() {
        return refused.get();
    }

    @Override
    public Object down(Message msg) {
        GMS.GmsHeader gms = msg.getHeader(GMS_ID);
        if (gms != null && guarded(gms.getType())) {
            msg.putHeader(PROTOCOL_ID, new Proof(proof(getAddress(), gms.getType())));
        }
        return down_prot.down(msg);
    }

    @Override
    public Object up(Message msg) {
        return admitted(msg) ? up_prot.up(msg) : null;
    }

    @Override
    public void up(MessageBatch batch) {
        batch.removeIf(msg -> !admitted(msg), true);
        if (!batch.isEmpty()) {
            up_prot.up(batch);
        }
    }

    /** @return whether {@code msg} may go up: not a guarded one, or one with a valid proof */
    private boolean admitted(Message msg) {
        GMS.GmsHeader gms = msg.getHeader(GMS_ID);
        if (gms == null || !guarded(gms.getType())) {
            return true;
        }
        Proof proof = msg.getHeader(PROTOCOL_ID);
        if (proof != null && msg.src() != null
                && MessageDigest.isEqual(proof.bytes, proof(msg.src(), gms.getType()))) {
            return true;
        }
        if (gms.getType() == GMS.GmsHeader.JOIN_RSP && isRejection(msg)) {
            // A cluster whose secret this node lacks says so: the join fails at once with the reason,
            // instead of waiting out its timeout. (Anyone could send a refusal; it admits nothing.)
            return true;
        }
        refuse(msg.src(), gms.getType(), proof == null ? "no proof of the secret" : "a wrong proof of the secret");
        return false;
    }

    private static boolean isRejection(Message msg) {
        try {
            JoinRsp answer = Util.streamableFromBuffer(JoinRsp::new, msg.getArray(), msg.getOffset(), msg.getLength());
            return answer.getFailReason() != null && answer.getView() == null;
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            return false;
        }
    }

    private void refuse(Address from, byte type, String why) {
        refused.incrementAndGet();
        String request = describe(type);
        LOG.warn("refused a {} from {}: {} (a node without this cluster's secret, or of another cluster)", request,
                from, why);
        onRefused.accept(String.valueOf(from), request);
        if (from == null) {
            return;
        }
        if (type == GMS.GmsHeader.JOIN_REQ || type == GMS.GmsHeader.JOIN_REQ_WITH_STATE_TRANSFER) {
            Message rejection = new BytesMessage(from).putHeader(GMS_ID, new GMS.GmsHeader(GMS.GmsHeader.JOIN_RSP))
                    .setArray(GMS.marshal(new JoinRsp("refused by " + getAddress() + ": the join did not prove"
                            + " this cluster's secret")));
            sendProven(rejection, GMS.GmsHeader.JOIN_RSP);
        } else if (type == GMS.GmsHeader.MERGE_REQ) {
            Message decline = new BytesMessage(from).setFlag(Message.Flag.OOB)
                    .putHeader(GMS_ID, new GMS.GmsHeader(GMS.GmsHeader.MERGE_RSP).setMergeRejected(true));
            sendProven(decline, GMS.GmsHeader.MERGE_RSP);
        }
    }

    private void sendProven(Message msg, byte type) {
        msg.putHeader(PROTOCOL_ID, new Proof(proof(getAddress(), type)));
        down_prot.down(msg);
    }

    private static boolean guarded(byte type) {
        return type == GMS.GmsHeader.JOIN_REQ || type == GMS.GmsHeader.JOIN_REQ_WITH_STATE_TRANSFER
                || type == GMS.GmsHeader.JOIN_RSP || type == GMS.GmsHeader.MERGE_REQ
                || type == GMS.GmsHeader.MERGE_RSP || type == GMS.GmsHeader.INSTALL_MERGE_VIEW;
    }

    private static String describe(byte type) {
        return switch (type) {
            case GMS.GmsHeader.JOIN_REQ, GMS.GmsHeader.JOIN_REQ_WITH_STATE_TRANSFER -> "join request";
            case GMS.GmsHeader.JOIN_RSP -> "join answer";
            case GMS.GmsHeader.MERGE_REQ -> "merge request";
            case GMS.GmsHeader.MERGE_RSP -> "merge answer";
            default -> "merged view";
        };
    }

    /** HMAC-SHA256(secret; cluster name, sender's address, request kind). */
    private byte[] proof(Address sender, byte type) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeUTF(cluster);
            sender.writeTo(out);
            out.writeByte(type);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(bytes.toByteArray());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot compute the proof of the cluster secret", e);
        }
    }

    /** A proof of the secret: 32 bytes, read by number, never by class name. */
    public static final class Proof extends Header {
        private byte[] bytes;

        /** For JGroups' registry, which creates headers before reading them. */
        public Proof() {
            this(new byte[PROOF_BYTES]);
        }

        Proof(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public short getMagicId() {
            return HEADER_MAGIC;
        }

        @Override
        public Supplier<? extends Header> create() {
            return Proof::new;
        }

        @Override
        public int serializedSize() {
            return PROOF_BYTES;
        }

        @Override
        public void writeTo(DataOutput out) throws IOException {
            out.write(bytes);
        }

        @Override
        public void readFrom(DataInput in) throws IOException {
            bytes = new byte[PROOF_BYTES];
            in.readFully(bytes);
        }

        @Override
        public String toString() {
            return "Proof";
        }
    }
}
