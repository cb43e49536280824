#!/usr/bin/env python3
"""Regenerates the resources of org.segmentation.nn.data (run with a Python that has numpy and Pillow).

- fashion-mnist-subset.bin.gz: the first ITEMS_PER_CLASS items of each of the 10 classes of the Fashion-MNIST
  test set (Debian package dataset-fashion-mnist), class 0 first; each item is 28*28 unsigned bytes, row-major.
  No header: the file is exactly 10 * ITEMS_PER_CLASS * 784 bytes before compression.
- texture-{brick,grass,gravel}.png: the central 256x256 crop of scikit-image's 512x512 gray sample textures.
"""
import gzip
import os
import sys

import numpy as np
from PIL import Image

ITEMS_PER_CLASS = 100
FASHION = "/usr/share/datasets/fashion-mnist"
SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
OUT = sys.argv[1] if len(sys.argv) > 1 else "."


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


images = idx(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz"), 16).reshape(-1, 28 * 28)
labels = idx(os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz"), 8)
chosen = [images[labels == c][:ITEMS_PER_CLASS] for c in range(10)]
blob = np.concatenate(chosen).astype(np.uint8).tobytes()
assert len(blob) == 10 * ITEMS_PER_CLASS * 784
with gzip.GzipFile(os.path.join(OUT, "fashion-mnist-subset.bin.gz"), "wb", compresslevel=9, mtime=0) as f:
    f.write(blob)

for name in ("brick", "grass", "gravel"):
    a = np.asarray(Image.open(os.path.join(SKIMAGE, name + ".png")).convert("L"))
    y0 = (a.shape[0] - 256) // 2
    x0 = (a.shape[1] - 256) // 2
    Image.fromarray(a[y0:y0 + 256, x0:x0 + 256]).save(os.path.join(OUT, "texture-" + name + ".png"), optimize=True)
