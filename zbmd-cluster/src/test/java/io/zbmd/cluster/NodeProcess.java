package io.zbmd.cluster;

import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A cluster node in a JVM of its own, for tests that kill it: {@code NodeProcess NAME CLUSTER
 * SECRET FAILURE_MS SEED_PORT}. It registers an actor "echo" that answers
 * {@link RemoteActorsTest.Ping}s, prints {@code member INCARNATION} once it has joined, then
 * runs until its standard input closes (the test ends) or it is killed.
 */
public final class NodeProcess {
    private NodeProcess() {}

    /**
     * @param args name, cluster, secret, failure timeout in ms, seed port
     * @throws IOException if standard input fails
     */
    public static void main(String[] args) throws IOException {
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName(args[0]));
                ClusterNode node = ClusterNode.start(system, ClusterConfig.loopback(args[1], args[2])
                        .withFailureTimeout(Duration.ofMillis(Long.parseLong(args[3])))
                        .withSeeds(List.of(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[4])))),
                        RemoteActorsTest.TYPES)) {
            system.registry().register("echo", system.spawn("echo", context -> message -> {
                if (message instanceof RemoteActorsTest.Ping ping) {
                    ping.replyTo().tell(new RemoteActorsTest.Pong(ping.n(), system.name()));
                }
            }));
            System.out.println("member " + node.self().incarnation());
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the test closes the pipe
            }
        }
    }

    /**
     * Starts a node JVM with this JVM's class path.
     *
     * @return the running process, its output read by the caller
     */
    static Process launch(String name, String cluster, String secret, Duration failure, int seedPort)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"),
                "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                NodeProcess.class.getName(), name, cluster, secret, String.valueOf(failure.toMillis()),
                String.valueOf(seedPort)));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Sends {@code signal} (STOP, CONT) to {@code process}. */
    static void signal(Process process, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start();
        if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " " + process.pid() + " failed");
        }
    }
}
