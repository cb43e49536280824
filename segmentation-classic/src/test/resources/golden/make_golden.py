"""Golden files for the segmentation-classic tests, computed by OpenCV 4.6 and scikit-image 0.19 on the PNG
images in ../images (made by ../images/make_images.py). Run with the system Python from this directory:
    /usr/bin/python3 make_golden.py [section ...]
Sections: threshold, flood, watershed, kmeans (default: all)."""
import json
import os
import sys

import cv2
import numpy as np
from skimage import filters, io, segmentation

cv2.setNumThreads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "..", "images")
GRAY = ["camera", "coins", "moon", "page"]
COLOUR = ["astronaut", "chelsea", "coffee"]
WIDE = ["camera", "coins", "moon", "chelsea"]  # also tested as 16-bit and float


def load(name):
    return io.imread(os.path.join(IMAGES, name + ".png"))


def gray(name):
    img = load(name)
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def dump(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)


def threshold():
    out = {"otsu_u8": {}, "otsu_u16": {}, "otsu_f32": {}, "multiotsu": {}}
    os.makedirs(os.path.join(HERE, "threshold"), exist_ok=True)
    for name in GRAY + COLOUR:
        g = gray(name)
        t, _ = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        out["otsu_u8"][name] = int(t)
        out["multiotsu"][name] = {str(c): [int(v) for v in filters.threshold_multiotsu(g, classes=c)]
                                  for c in range(2, 6)}
        if name not in WIDE:
            continue
        # A 16-bit image with many levels: the gray image at half size times 257, smoothed so that values between
        # the 8-bit levels occur.
        small = cv2.resize(g, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        u16 = np.round(cv2.GaussianBlur(small.astype(np.float64) * 257.0, (5, 5), 1.5)).astype(np.uint16)
        cv2.imwrite(os.path.join(HERE, "threshold", name + "_u16.png"), u16)
        out["otsu_u16"][name] = int(filters.threshold_otsu(u16))
        # The float image is that 16-bit image / 65535 in single precision (the Java test does the same).
        f = u16.astype(np.float32) / np.float32(65535)
        out["otsu_f32"][name] = {"threshold": float(filters.threshold_otsu(f, nbins=256)),
                                 "bin_width": float((f.max() - f.min()) / 256)}
    dump("threshold.json", out)


if __name__ == "__main__":
    sections = sys.argv[1:] or ["threshold", "flood", "watershed", "kmeans"]
    for s in sections:
        if s in globals():
            globals()[s]()
