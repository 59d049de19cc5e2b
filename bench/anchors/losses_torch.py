#!/usr/bin/python3
"""Anchor for bench/losses.bench.mjs: PyTorch cross_entropy (forward + backward) on one thread.
Prints one JSON line: {"anchor": "torch", "shape": [...], "calls_per_s": ...}."""
import json
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
n, c = int(sys.argv[1]), int(sys.argv[2])
g = torch.Generator().manual_seed(0)
z = (torch.randn(n, c, generator=g) * 3).requires_grad_()
y = torch.randint(0, c, (n,), generator=g)
w = torch.rand(c, generator=g) + 0.5


def step():
    loss = F.cross_entropy(z, y, weight=w, label_smoothing=0.1)
    loss.backward()
    z.grad = None


for _ in range(20):
    step()
reps, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < 1.5:
    step()
    reps += 1
print(json.dumps({"anchor": "torch", "torch": torch.__version__, "shape": [n, c], "calls_per_s": reps / (time.perf_counter() - t0)}))
