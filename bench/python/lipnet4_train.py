#!/usr/bin/env python3
"""PyTorch reference for the "cnn" bench suite.

LipNet-4 trained the way a PyTorch user would usually write it: a Dataset that draws a fresh random affine
transform per sample (rotation, shear, shift, zoom, flips, the same draw as AutoClassify's augmenter) and a
DataLoader that batches 32 shuffled samples; Adam 1e-3, cross-entropy with label smoothing 0.1, and a 15 %
validation pass every epoch. Prints "images_per_second <value>" over the epochs after the first.
With --channels-last the kernels are stored in NHWC order, as AutoClassify stores them.
"""
import argparse
import math
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


def lipnet4(size, classes):
    def conv(channels_in):
        return nn.Conv2d(channels_in, 32, 3, padding=1)

    side = size // 4
    return nn.Sequential(
        conv(1), nn.ReLU(), conv(32), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        conv(32), nn.ReLU(), conv(32), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(32 * side * side, classes))


def draw_theta(rng):
    angle = math.radians(rng.uniform(-180, 180))
    shear = rng.uniform(0, 0.2)
    sx, sy = rng.uniform(-0.1, 0.1), rng.uniform(-0.1, 0.1)
    zoom = rng.uniform(0.8, 1.0)
    fx = -zoom if rng.random() < 0.5 else zoom
    fy = -zoom if rng.random() < 0.5 else zoom
    c, s = math.cos(angle), math.sin(angle)
    return torch.tensor([[c * fx, (c * shear - s) * fy, 2 * sx],
                         [s * fx, (s * shear + c) * fy, 2 * sy]], dtype=torch.float32)


class AugmentedImages(Dataset):
    def __init__(self, images, labels, augment, seed):
        self.images, self.labels, self.augment = images, labels, augment
        self.rng = random.Random(seed)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i]
        if self.augment:
            theta = draw_theta(self.rng).unsqueeze(0)
            grid = F.affine_grid(theta, (1, 1, x.shape[1], x.shape[2]), align_corners=False)
            x = F.grid_sample(x.unsqueeze(0), grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0]
        return x, self.labels[i]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--channels-last", action="store_true", help="store the conv kernels in NHWC order")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    images = torch.randn(args.images, 1, args.size, args.size)
    labels = torch.randint(args.classes, (args.images,))
    n_val = round(0.15 * args.images)
    n_fit = args.images - n_val
    train = AugmentedImages(images[:n_fit], labels[:n_fit], not args.no_augment, seed=7)
    loader = DataLoader(train, batch_size=args.batch, shuffle=True, num_workers=0)
    val_x, val_y = images[n_fit:], labels[n_fit:]

    model = lipnet4(args.size, args.classes)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

    epoch_seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.train()
        for x, y in loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for first in range(0, n_val, 256):
                loss_fn(model(val_x[first:first + 256]), val_y[first:first + 256]).item()
        epoch_seconds.append(time.perf_counter() - start)

    timed = epoch_seconds[1:] if len(epoch_seconds) > 1 else epoch_seconds
    print(f"images_per_second {n_fit * len(timed) / sum(timed):.1f}")
    print(f"fit_images {n_fit}")
    print("epoch_seconds " + " ".join(f"{s:.6f}" for s in epoch_seconds))


if __name__ == "__main__":
    main()
