"""The MLP training step as PyTorch's users run it: Python, torch.nn, torch.optim.Adam.

Driven by zbmd's benchmark and test (PythonTorchMlpTraining) over stdin and stdout:

    python3 torch_mlp.py STATE THREADS FUSED

STATE is a little-endian file: six int32 element counts, then the parameters as float32 in
zbmd's order (784-256 weight [out, in], its bias, 256-128, bias, 128-10, bias), then the
batch: 128x784 float32 features and 128 int32 labels. THREADS goes to torch.set_num_threads
(one inter-op thread, as the JVM peers get). FUSED is 1 for Adam(fused=True), 0 for the
default (foreach) implementation.

Commands, one per line: "step" trains one step and answers its loss (before the update);
"dump PATH" writes the current parameters to PATH as float32 in the same order and answers
"ok"; "quit" ends. The first line out is "ready", the torch version and the thread count.
"""

import struct
import sys

import torch

BATCH = 128
FEATURES = 784
LEARNING_RATE = 1e-3


def read_state(path):
    with open(path, "rb") as f:
        data = f.read()
    counts = struct.unpack_from("<6i", data, 0)
    offset = 24
    params = []
    for count in counts:
        params.append(torch.frombuffer(bytearray(data[offset:offset + 4 * count]), dtype=torch.float32))
        offset += 4 * count
    features = torch.frombuffer(bytearray(data[offset:offset + 4 * BATCH * FEATURES]), dtype=torch.float32)
    offset += 4 * BATCH * FEATURES
    labels = torch.frombuffer(bytearray(data[offset:offset + 4 * BATCH]), dtype=torch.int32)
    return params, features.reshape(BATCH, FEATURES), labels.to(torch.int64)


def main():
    state, threads, fused = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    params, x, y = read_state(state)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    with torch.no_grad():
        for parameter, value in zip(model.parameters(), params):
            parameter.copy_(value.reshape(parameter.shape))
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, fused=fused)
    print("ready", torch.__version__, torch.get_num_threads(), flush=True)
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        if command[0] == "step":
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            print(repr(loss.item()), flush=True)
        elif command[0] == "dump":
            with open(command[1], "wb") as f:
                for parameter in model.parameters():
                    f.write(parameter.detach().contiguous().numpy().astype("<f4").tobytes())
            print("ok", flush=True)
        elif command[0] == "quit":
            return
        else:
            print("error unknown command " + command[0], flush=True)


if __name__ == "__main__":
    main()
