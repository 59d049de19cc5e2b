#!/usr/bin/env python3
"""Anchor of bench/torch-weights.bench.mjs: writes torchvision's ResNet-50 state_dict (random
initialisation, 1,000 classes, ~98 MB) with torch.save to the path given, and times torch.load
of it. Prints one JSON line."""
import json
import sys
import time

import torch
import torchvision

path = sys.argv[1]
torch.save(torchvision.models.resnet50().state_dict(), path)
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    torch.load(path)
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"torch": torch.__version__, "torchLoadS": best, "path": path}))
