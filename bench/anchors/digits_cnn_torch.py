"""Anchor side of the digits benchmark: the same classic CNN (conv32 → pool → conv64 → pool →
dense128 → 10), optimizer (Adam 1e-3), batch size, epochs and train/test split as the tfjs side,
trained with PyTorch on the CPU. The split comes from the tfjs side (a JSON file of indices), so
both train and test on the same images.

Usage: /usr/bin/python3 digits_cnn_torch.py --split split.json [--epochs 12] [--batch 32] [--threads 1]
Prints one JSON line: test accuracy and training seconds."""
import argparse, gzip, json, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--split', required=True)
p.add_argument('--data', default=None)
p.add_argument('--epochs', type=int, default=12)
p.add_argument('--batch', type=int, default=32)
p.add_argument('--threads', type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
split = json.load(open(a.split))
rows = np.loadtxt(gzip.open(split['data']), delimiter=',', skiprows=1)
x = torch.tensor(rows[:, :64] / 16, dtype=torch.float32).reshape(-1, 1, 8, 8)
y = torch.tensor(rows[:, 64], dtype=torch.long)
train, test = torch.tensor(split['train']), torch.tensor(split['test'])

class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1, 1)
        self.fc1 = nn.Linear(64 * 2 * 2, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))

m = Cnn()
opt = torch.optim.Adam(m.parameters(), lr=1e-3)
t = time.perf_counter()
for epoch in range(a.epochs):
    order = train[torch.randperm(len(train))]
    for i in range(0, len(order), a.batch):
        idx = order[i:i + a.batch]
        opt.zero_grad()
        F.cross_entropy(m(x[idx]), y[idx]).backward()
        opt.step()
seconds = time.perf_counter() - t
with torch.no_grad():
    acc = (m(x[test]).argmax(1) == y[test]).float().mean().item()
print(json.dumps(dict(anchor='pytorch', version=torch.__version__, threads=torch.get_num_threads(),
                      epochs=a.epochs, batch=a.batch, testAccuracy=round(acc, 4), trainSeconds=round(seconds, 2))))
