"""Golden RLE cases for org.segmentation.core.coco, from pycocotools' mask API (2.0.x).

pycocotools is not a dependency of this project; to regenerate, install its wheel into a scratch folder and run
    PYTHONPATH=/path/to/scratch /usr/bin/python3 make_coco_goldens.py
from this directory. It writes coco_goldens.json:
- "masks": random binary masks (sizes from 1x1 up, empty and full ones included), each with pycocotools'
  uncompressed counts (from its compressed string), compressed string, area and bbox;
- "polygons": random polygons (vertices inside the image, on its border, at integer and half-integer
  coordinates, self-intersecting ones included), one or more per case, each case with the counts and string of
  the union of pycocotools' rasterisations (frPyObjects, then merge), as COCO's annToRLE computes them.
Masks are written row-major as strings of '0'/'1'.
"""
import json
import os

from importlib import metadata

import numpy as np
from pycocotools import mask as mask_utils

rng = np.random.default_rng(20261204)


def counts_of(rle):
    """The uncompressed counts of a compressed pycocotools RLE."""
    h, w = rle['size']
    m = mask_utils.decode(rle)
    flat = m.flatten(order='F')
    counts, current, run = [], 0, 0
    for v in flat:
        if v != current:
            counts.append(run)
            run, current = 0, v
        run += 1
    counts.append(run)
    assert sum(counts) == h * w
    return counts


masks = []
shapes = [(1, 1), (1, 7), (6, 1), (5, 5), (8, 13), (17, 9), (32, 40), (64, 48)]
for h, w in shapes:
    for kind in ('empty', 'full', 'sparse', 'half', 'blobs'):
        if kind == 'empty':
            m = np.zeros((h, w), np.uint8)
        elif kind == 'full':
            m = np.ones((h, w), np.uint8)
        elif kind == 'sparse':
            m = (rng.random((h, w)) < 0.1).astype(np.uint8)
        elif kind == 'half':
            m = (rng.random((h, w)) < 0.5).astype(np.uint8)
        else:
            yy, xx = np.mgrid[0:h, 0:w]
            cy, cx, r = rng.random() * h, rng.random() * w, 1 + rng.random() * max(h, w) / 2
            m = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r).astype(np.uint8)
        rle = mask_utils.encode(np.asfortranarray(m))
        masks.append({
            'height': h, 'width': w,
            'mask': ''.join('1' if v else '0' for v in m.flatten()),
            'string': rle['counts'].decode('ascii'),
            'counts': counts_of(rle),
            'area': int(mask_utils.area(rle)),
            'bbox': [float(v) for v in mask_utils.toBbox(rle)],
        })


def vertex(h, w):
    kind = rng.integers(0, 4)
    if kind == 0:
        return [float(rng.integers(0, w + 1)), float(rng.integers(0, h + 1))]
    if kind == 1:
        return [rng.integers(0, 2 * w + 1) / 2.0, rng.integers(0, 2 * h + 1) / 2.0]
    if kind == 2:
        return [round(float(rng.random() * w), 2), round(float(rng.random() * h), 2)]
    side = rng.integers(0, 4)   # on the image border
    t = float(rng.random())
    return [[0.0, t * h], [float(w), t * h], [t * w, 0.0], [t * w, float(h)]][side]


polygons = []
for h, w in [(5, 5), (8, 13), (17, 9), (32, 40), (40, 32), (64, 48)]:
    for case in range(6):
        polys = []
        for p in range(1 + (case % 3 == 2)):
            k = int(rng.integers(3, 9))
            polys.append([c for _ in range(k) for c in vertex(h, w)])
        rle = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
        polygons.append({
            'height': h, 'width': w, 'polygons': polys,
            'string': rle['counts'].decode('ascii'),
            'counts': counts_of(rle),
        })

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'coco_goldens.json')
with open(out, 'w') as f:
    json.dump({'made_by': 'make_coco_goldens.py with pycocotools ' + metadata.version('pycocotools'), 'masks': masks, 'polygons': polygons}, f)
    f.write('\n')
print('wrote', out, len(masks), 'masks,', len(polygons), 'polygon cases')
