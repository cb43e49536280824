#!/usr/bin/python3
"""The PyTorch twin of `seg train --data DIR`: the same U-Net trained on the same folder, timed per image.

Run with the system Python that has PyTorch 1.13 (CPU), numpy and Pillow:

    /usr/bin/python3 train_folder_torch.py --write-example DIR --count 32 --size 256      # a folder to train on
    /usr/bin/python3 train_folder_torch.py --data DIR --channels 3 --size 256 --depth 4 --base-filters 32 \
        --batch 4 --steps 20 --threads 2 [--augment]

The folder is read as org.segmentation.nn.data.FolderDataset reads it: DIR/images/ and DIR/masks/, paired by
file stem and ordered by it; images scaled to [0, 1] and converted to --channels (1: gray, 3: RGB); masks are
gray or palette PNGs whose value (palette index) is the class; --classes 0 infers the largest label + 1. Every
sample is decoded from disk when its batch is made, as the Java dataset does.

Training, as `seg train --data DIR --val-fraction 0 --optimizer adam --loss ce` does it: torch_unet.UNet (the
PyTorch twin of the Java UNet: batch norm, transposed up-sampling, softmax head) with PyTorch's default
initialisation; every epoch a seeded permutation of the images cut into batches of --batch (the last incomplete
batch dropped); each image randomly cropped (or zero-padded) to --size, then with --augment flipped left-right
(p 0.5), top-bottom (p 0.5) and turned by k quarter turns (k uniform in 0..3); softmax cross-entropy averaged over
the batch's pixels; Adam (lr --lr, 0.9, 0.999, 1e-8, no weight decay); --steps steps. No validation, no
checkpoints.

Prints the loss on stderr and, as its last stdout line, one JSON object: seconds_per_image (train_seconds /
(steps * batch)), train_seconds (the whole loop, data loading included), steps, batch, images, classes, threads,
version, final_loss.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.realpath(__file__))
NN_PYTHON = os.path.join(HERE, "..", "..", "segmentation-nn", "src", "test", "python")
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff"}
MASK_EXTENSIONS = {".png", ".bmp", ".gif", ".tif", ".tiff"}


def pairs(root):
    """(image path, mask path) by stem, ordered by stem; every image needs a mask."""
    def by_stem(folder, extensions):
        found = {}
        for name in os.listdir(folder):
            stem, ext = os.path.splitext(name)
            if ext.lower() in extensions:
                if stem in found:
                    sys.exit("two files with the stem %s in %s" % (stem, folder))
                found[stem] = os.path.join(folder, name)
        return found
    images = by_stem(os.path.join(root, "images"), IMAGE_EXTENSIONS)
    masks = by_stem(os.path.join(root, "masks"), MASK_EXTENSIONS)
    missing = sorted(set(images) - set(masks))
    if missing:
        sys.exit("no mask for %s" % ", ".join(missing[:5]))
    return [(images[s], masks[s]) for s in sorted(images)]


def read_image(path, channels):
    """(C,H,W) float32 in [0, 1]."""
    img = Image.open(path).convert("RGB" if channels == 3 else "L")
    a = np.asarray(img, dtype=np.float32) / 255.0
    return a.transpose(2, 0, 1) if channels == 3 else a[None]


def read_mask(path):
    """(H,W) int64: gray value, or palette index for a palette PNG."""
    m = Image.open(path)
    if m.mode not in ("L", "P", "I", "I;16"):
        sys.exit("mask %s is %s, not gray or palette" % (path, m.mode))
    return np.asarray(m).astype(np.int64)


def crop_or_pad(x, y, size, rng):
    """A random size x size window; sides smaller than size are zero-padded (label 0) first."""
    _, h, w = x.shape
    ph, pw = max(0, size - h), max(0, size - w)
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, ph), (0, pw)))
        y = np.pad(y, ((0, ph), (0, pw)))
        h, w = h + ph, w + pw
    top = rng.randint(h - size + 1)
    left = rng.randint(w - size + 1)
    return x[:, top:top + size, left:left + size], y[top:top + size, left:left + size]


def augment(x, y, rng):
    if rng.random_sample() < 0.5:
        x, y = x[:, :, ::-1], y[:, ::-1]
    if rng.random_sample() < 0.5:
        x, y = x[:, ::-1, :], y[::-1, :]
    k = int(rng.randint(4))
    return np.rot90(x, k, axes=(1, 2)), np.rot90(y, k, axes=(0, 1))


def write_example(root, count, size, seed):
    """count RGB images of size x size with ellipses of two classes on a noisy background, and their masks."""
    rng = np.random.RandomState(seed)
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    os.makedirs(os.path.join(root, "masks"), exist_ok=True)
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(count):
        img = rng.normal(0.3, 0.05, (size, size, 3))
        mask = np.zeros((size, size), np.uint8)
        for _ in range(rng.randint(3, 8)):
            cls = 1 + rng.randint(2)
            cy, cx = rng.uniform(0, size, 2)
            ry, rx = rng.uniform(size / 20, size / 6, 2)
            inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
            mask[inside] = cls
            img[inside] = (0.8, 0.4, 0.2) if cls == 1 else (0.2, 0.5, 0.9)
        img = np.clip(img + rng.normal(0, 0.05, img.shape), 0, 1)
        Image.fromarray((img * 255).astype(np.uint8), "RGB").save(os.path.join(root, "images", "img_%03d.png" % i))
        Image.fromarray(mask, "L").save(os.path.join(root, "masks", "img_%03d.png" % i))
    print("wrote %d image/mask pairs of %d px to %s" % (count, size, root), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", help="folder with images/ and masks/")
    p.add_argument("--write-example", metavar="DIR", help="write a synthetic folder (--count, --size) and exit")
    p.add_argument("--count", type=int, default=32)
    p.add_argument("--channels", type=int, choices=(1, 3), default=3)
    p.add_argument("--classes", type=int, default=0, help="classes, background included; 0 infers them")
    p.add_argument("--size", type=int, default=256, help="random crop (0: none; all images must then agree)")
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--base-filters", type=int, default=32)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=False)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    if args.write_example:
        write_example(args.write_example, args.count, args.size, args.seed)
        return
    if not args.data:
        p.error("--data or --write-example is required")

    import torch
    import torch.nn.functional as F
    sys.path.insert(0, NN_PYTHON)
    from torch_unet import UNet

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    files = pairs(args.data)
    if len(files) < args.batch:
        sys.exit("%d images give no batch of %d" % (len(files), args.batch))
    classes = args.classes or 1 + max(int(read_mask(m).max()) for _, m in files)
    model = UNet(dict(input_channels=args.channels, classes=classes, depth=args.depth,
                      base_filters=args.base_filters, batch_norm=True, dropout=0.0, upsampling="transposed",
                      up_kernel=1, head="softmax"))
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)

    def batches():
        while True:
            perm = rng.permutation(len(files))
            for b in range(len(files) // args.batch):
                yield perm[b * args.batch:(b + 1) * args.batch]

    order = batches()
    t0 = time.perf_counter()
    loss = None
    for step in range(args.steps):
        xs, ys = [], []
        for i in next(order):
            x, y = read_image(files[i][0], args.channels), read_mask(files[i][1])
            if args.size > 0:
                x, y = crop_or_pad(x, y, args.size, rng)
            if args.augment:
                x, y = augment(x, y, rng)
            xs.append(np.ascontiguousarray(x))
            ys.append(np.ascontiguousarray(y))
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(torch.from_numpy(np.stack(xs))), torch.from_numpy(np.stack(ys)))
        loss.backward()
        opt.step()
        print("torch step %d/%d loss %.4f %.2f s/image" % (step + 1, args.steps, loss.item(),
              (time.perf_counter() - t0) / ((step + 1) * args.batch)), file=sys.stderr, flush=True)
    train_seconds = time.perf_counter() - t0
    print(json.dumps(dict(seconds_per_image=train_seconds / (args.steps * args.batch), train_seconds=train_seconds,
                          steps=args.steps, batch=args.batch, images=len(files), classes=classes,
                          threads=torch.get_num_threads(), version="pytorch " + torch.__version__,
                          final_loss=loss.item())))


if __name__ == "__main__":
    main()
