package com.example.consumer;

import io.zbmd.actor.Actor;
import io.zbmd.actor.ActorRef;
import io.zbmd.actor.ActorSystem;
import io.zbmd.actor.ActorSystemConfig;
import io.zbmd.gpu.cpu.CpuBackend;
import io.zbmd.gpu.cpu.CpuConfig;
import io.zbmd.ml.tensor.Tensor;
import io.zbmd.ml.tensor.TensorScope;
import io.zbmd.ml.tensor.Tensors;
import io.zbmd.supervision.ChildSpec;
import io.zbmd.supervision.Supervisor;
import io.zbmd.supervision.SupervisorSpec;
import io.zbmd.supervision.Supervisors;
import java.time.Duration;
import java.util.Arrays;

/** A supervised actor that crashes and answers from its next incarnation, then a matrix product on the CPU backend. */
public final class Hello {
    record Add(int n) {}

    record Get(ActorRef<Integer> replyTo) {}

    public static void main(String[] args) {
        try (ActorSystem system = ActorSystem.create(ActorSystemConfig.defaults().withName("consumer"))) {
            Supervisor supervisor = Supervisors.start(system, "root", SupervisorSpec.oneForOne()
                    .withChild(ChildSpec.worker("counter", ctx -> new Actor<Object>() {
                        private int total;

                        @Override
                        public void onMessage(Object message) {
                            switch (message) {
                                case Add add when add.n() < 0 -> throw new IllegalArgumentException("negative");
                                case Add add -> total += add.n();
                                case Get get -> get.replyTo().tell(total);
                                default -> { }
                            }
                        }
                    })));
            ActorRef<Object> counter = supervisor.<Object>child("counter").join().orElseThrow();
            counter.tell(new Add(2));
            counter.tell(new Add(-1)); // crashes it: restarted in place, same ref
            counter.tell(new Add(3));
            int total = counter.<Integer>ask(Get::new, Duration.ofSeconds(10)).join();
            System.out.println("counter after a crash: " + total);
        }
        try (CpuBackend cpu = CpuBackend.create(CpuConfig.defaults().withThreads(1));
                TensorScope scope = TensorScope.open(cpu)) {
            Tensor a = Tensors.of(new float[] {1, 2, 3, 4}, 2, 2);
            Tensor b = Tensors.of(new float[] {5, 6, 7, 8}, 2, 2);
            System.out.println("matmul: " + Arrays.toString(a.matmul(b).toFloatArray()));
        }
    }
}
