#!/usr/bin/python3
"""Anchor for bench/cnn-variants.bench.mjs: training samples/s of the same networks in PyTorch on
one thread, Adam 1e-3, cross-entropy.
  --model 3d:        32³×1 → conv3d 8 → pool 2 → conv3d 16 → pool 2 → fc 2 (batch 8)
  --model separable: 32×32×3 → conv 16 s2 → [depthwise 3×3 + pointwise 32] → [depthwise 3×3 s2
                     + pointwise 64] → global average pool → fc 2 (batch 32)
Prints one JSON line."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--model", choices=["3d", "separable"], required=True)
p.add_argument("--seconds", type=float, default=3.0)  # timed for at least this long
a = p.parse_args()
torch.set_num_threads(1)
torch.manual_seed(0)

if a.model == "3d":
    batch, shape = 8, (1, 32, 32, 32)
    m = nn.Sequential(nn.Conv3d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2), nn.Conv3d(8, 16, 3, padding=1), nn.ReLU(),
                      nn.MaxPool3d(2), nn.Flatten(), nn.Linear(16 * 8 * 8 * 8, 2))
else:
    batch, shape = 32, (3, 32, 32)
    sep = lambda cin, cout, s: [nn.Conv2d(cin, cin, 3, stride=s, padding=1, groups=cin), nn.ReLU(), nn.Conv2d(cin, cout, 1), nn.ReLU()]
    m = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(), *sep(16, 32, 1), *sep(32, 64, 2),
                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 2))
opt = torch.optim.Adam(m.parameters(), 1e-3)
x = torch.randn(batch, *shape)
y = torch.randint(0, 2, (batch,))


def step():
    opt.zero_grad()
    F.cross_entropy(m(x), y).backward()
    opt.step()


for _ in range(3):
    step()
t = time.perf_counter()
steps = 0
while time.perf_counter() - t < a.seconds:
    step()
    steps += 1
print(json.dumps({"anchor": "pytorch", "model": a.model, "batch": batch,
                  "trainSamplesPerSec": round(steps * batch / (time.perf_counter() - t), 1)}))
