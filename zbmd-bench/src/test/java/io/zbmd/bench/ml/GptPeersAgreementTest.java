package io.zbmd.bench.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The GPT benchmarks' peers compute the same thing, one thread each: from the same weights on
 * the same batch the losses of five training steps agree within {@code 1e-4}, and then greedy
 * generation with each side's key/value cache makes the same 64 tokens (by a positional
 * checksum; the PyTorch script checks its cached tokens against its own whole-sequence
 * forward pass, {@code GptTest} zbmd's).
 */
class GptPeersAgreementTest {
    @Test
    void zbmdAndPyTorchTrainAndGenerateAlike() {
        ParameterDifference.assumePythonTorch();
        try (GptPeer zbmd = GptPeer.create(GptPeer.ZBMD, 1); GptPeer torch = GptPeer.create(GptPeer.TORCH, 1)) {
            for (int step = 0; step < 5; step++) {
                assertThat((double) zbmd.step()).as("loss of step %d", step).isCloseTo(torch.step(), within(1e-4));
            }
            assertThat(zbmd.generate(64)).as("the generated tokens' checksum").isEqualTo(torch.generate(64));
        }
    }
}
