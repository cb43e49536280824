"""A golden COCO evaluation for org.segmentation.core.coco, from pycocotools' COCOeval (2.0.x).

pycocotools is not a dependency of this project; to regenerate, install its wheel into a scratch folder and run
    PYTHONPATH=/path/to/scratch /usr/bin/python3 make_coco_eval_golden.py
from this directory. It writes
- eval_truth.json: an instances file of 6 images (one without annotations, ids not in file order) and 3
  categories (ids 1, 2, 5; category 5 has no ground truth), each annotation a random polygon, some as RLE,
  some crowd regions;
- eval_results.json: detections as a results file: each ground truth's mask shifted by up to 1 px, with a random
  score (some scores tied, rounded to 0.05), plus false positives (random boxes as masks, category 5 included);
- eval_expected.json: COCOeval(iouType='segm') summarize() stats 0..2 (AP, AP50, AP75 at maxDets 100) and per
  category the mean of its precision over thresholds and recall points (-1 for a category without ground truth).
"""
import json
import os
from importlib import metadata

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

rng = np.random.default_rng(1313)
here = os.path.dirname(os.path.abspath(__file__))


def polygon(w, h):
    cx, cy = rng.uniform(6, w - 6), rng.uniform(6, h - 6)
    k = int(rng.integers(4, 9))
    angles = np.sort(rng.uniform(0, 2 * np.pi, k))
    r = rng.uniform(5, 14, k)
    xs = np.clip(cx + r * np.cos(angles), 0, w)
    ys = np.clip(cy + r * np.sin(angles), 0, h)
    return [round(float(v), 2) for xy in zip(xs, ys) for v in xy]


def rle_json(m):
    rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    return {'size': [int(v) for v in rle['size']], 'counts': rle['counts'].decode('ascii')}


images, annotations, results = [], [], []
ann_id = 100
for image_id, (w, h) in zip([7, 3, 12, 5, 9, 20], [(48, 40), (40, 48), (64, 32), (32, 32), (48, 48), (40, 40)]):
    images.append({'id': image_id, 'file_name': 'img%d.png' % image_id, 'width': w, 'height': h})
    n = 0 if image_id == 5 else int(rng.integers(2, 7))
    for _ in range(n):
        cat = int(rng.choice([1, 2]))
        poly = polygon(w, h)
        m = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects([poly], h, w)))
        crowd = int(rng.random() < 0.15)
        seg = rle_json(m) if crowd or rng.random() < 0.3 else [poly]
        ys, xs = np.nonzero(m)
        if len(xs) == 0:
            continue
        bbox = [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]
        annotations.append({'id': ann_id, 'image_id': image_id, 'category_id': cat, 'iscrowd': crowd,
                            'area': float(m.sum()), 'bbox': bbox, 'segmentation': seg})
        ann_id += 1
        if rng.random() < 0.85:
            dy, dx = rng.integers(-1, 2, 2)
            d = np.roll(np.roll(m, dy, axis=0), dx, axis=1)
            dcat = cat if rng.random() < 0.9 else 3 - cat
            results.append({'image_id': image_id, 'category_id': dcat, 'segmentation': rle_json(d),
                            'score': round(float(rng.uniform(0.05, 1.0)) * 20) / 20})
    for _ in range(int(rng.integers(0, 3))):
        x0, y0 = int(rng.integers(0, w - 8)), int(rng.integers(0, h - 8))
        d = np.zeros((h, w), np.uint8)
        d[y0:y0 + int(rng.integers(3, 8)), x0:x0 + int(rng.integers(3, 8))] = 1
        results.append({'image_id': image_id, 'category_id': int(rng.choice([1, 2, 5])), 'segmentation': rle_json(d),
                        'score': round(float(rng.uniform(0.05, 1.0)) * 20) / 20})

truth = {'images': images, 'annotations': annotations,
         'categories': [{'id': 1, 'name': 'one'}, {'id': 2, 'name': 'two'}, {'id': 5, 'name': 'five'}]}
with open(os.path.join(here, 'eval_truth.json'), 'w') as f:
    json.dump(truth, f)
with open(os.path.join(here, 'eval_results.json'), 'w') as f:
    json.dump(results, f)

gt = COCO(os.path.join(here, 'eval_truth.json'))
dt = gt.loadRes(os.path.join(here, 'eval_results.json'))
ev = COCOeval(gt, dt, iouType='segm')
ev.evaluate()
ev.accumulate()
ev.summarize()
p = ev.eval['precision'][:, :, :, 0, 2]   # [T, R, K], area "all", maxDets 100
per_category = {}
for k, cat in enumerate(ev.params.catIds):
    v = p[:, :, k]
    per_category[str(cat)] = float(np.mean(v[v > -1])) if np.any(v > -1) else -1.0
expected = {'made_by': 'make_coco_eval_golden.py with pycocotools ' + metadata.version('pycocotools'),
            'ap': float(ev.stats[0]), 'ap50': float(ev.stats[1]), 'ap75': float(ev.stats[2]),
            'per_category': per_category, 'annotations': len(annotations), 'detections': len(results)}
with open(os.path.join(here, 'eval_expected.json'), 'w') as f:
    json.dump(expected, f, indent=1)
    f.write('\n')
print(expected)
