#!/usr/bin/python3
"""The torchvision side of `seg experiment maskrcnn`: the same Mask R-CNN, data, budget and output as the Java side.

Run with the system Python that has torch 1.13 and torchvision 0.14 (CPU), numpy and PIL:

    /usr/bin/python3 maskrcnn_train_torch.py --train-json D/train.json --train-images D/train \
        --val-json D/val.json --val-images D/val --config D/model.json --steps 400 --batch 2 --lr 0.01 \
        --warmup 50 --clip-norm 10 --augment --seed 1 --threads 2 --results OUT/results.json

The data are what the Java side wrote (org.segmentation.bench.experiment.MaskRCNNExperiment): COCO instances files
with uncompressed RLE masks and category ids 1..K-1 (= the classes), 8-bit grey PNGs read as v / 255 in one
channel; --config is Java's MaskRCNN.configToJson, built by segmentation-nn/src/test/python/torch_maskrcnn.py's
build() (weights=None, weights_backbone=None: everything from scratch). Without min_size in the config, build()
replaces the transform's resizing by the identity and normalises with mean 0 and std 1, as Java's default
transform does for images of the training size; batches are padded to multiples of 32 on both sides.

Protocol, as on the Java side (MaskRCNNTraining's defaults):
  initialisation: torch.manual_seed(--seed); the backbone's convolutions kaiming-normal (fan out, ReLU) and batch
    norms 1 / 0, as torchvision's ResNet does and Java's ResNet copies (torch_resnet_fpn.Body keeps PyTorch's
    default Conv2d init); FPN, RPN, box and mask heads as torchvision initialises them (Java draws the same);
  targets: per annotation its mask, its category as label and the pixel extent [xmin, ymin, xmax + 1, ymax + 1];
  batches: a permutation of the training images per epoch (numpy RandomState(--seed)), cut into --batch, the
    last incomplete batch dropped;
  augmentation (--augment): each image and its masks flipped left-right (p 0.5), then top-bottom (p 0.5), boxes
    recomputed from the flipped masks;
  loss: the sum of torchvision's five losses;
  optimizer: SGD, momentum 0.9, weight decay 1e-4 on every parameter, rate lr * (f + (1 - f) i / warmup) before
    step i < warmup (f = 1e-3), lr afterwards; the global gradient norm clipped to --clip-norm before each step.
Then, in evaluation mode, each validation image alone through the model; its pasted mask probabilities are
thresholded at 0.5 into one instance map in descending score order (a pixel goes to the first detection that
claims it), as Java's MaskPaste.labelMap does, and each detection's share of that map is written to --results
as a COCO result (uncompressed RLE, bbox [x, y, w, h], score, category_id = label), empty shares included.

Prints progress on stderr and, as its last stdout line, one JSON object: train_seconds (the training loop alone),
eval_seconds, steps, final_loss (mean of the last 5% of the steps' losses), detections, threads, version.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image


def find_test_python(name):
    """segmentation-nn/src/test/python (holding `name`) in a folder above this file, or $SEG_TORCH_PEERS_DIR."""
    env = os.environ.get('SEG_TORCH_PEERS_DIR')
    d = env or os.path.dirname(os.path.abspath(__file__))
    while not env:
        cand = os.path.join(d, 'segmentation-nn', 'src', 'test', 'python')
        if os.path.isfile(os.path.join(cand, name)):
            return cand
        if os.path.dirname(d) == d:
            sys.exit('cannot find segmentation-nn/src/test/python/%s above %s; set SEG_TORCH_PEERS_DIR'
                     % (name, os.path.abspath(__file__)))
        d = os.path.dirname(d)
    return env


sys.path.insert(0, find_test_python('torch_maskrcnn.py'))
import torch_maskrcnn  # noqa: E402


def rle_decode(counts, h, w):
    """COCO's uncompressed RLE (column-major runs, zeros first) as an (h, w) uint8 mask."""
    flat = np.zeros(h * w, dtype=np.uint8)
    pos, value = 0, 0
    for c in counts:
        if value:
            flat[pos:pos + c] = 1
        pos += c
        value ^= 1
    return flat.reshape(w, h).T


def rle_encode(mask):
    """An (h, w) boolean mask as COCO's uncompressed RLE counts."""
    flat = np.asarray(mask, dtype=np.uint8).T.ravel()
    changes = np.flatnonzero(np.diff(flat)) + 1
    edges = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(edges).tolist()
    if flat.size and flat[0] == 1:
        counts = [0] + counts
    return counts


def load_coco(json_file, image_dir):
    """[(image id, image (1,H,W) float32, masks (G,H,W) uint8, labels (G,) int64)] in the file's image order."""
    with open(json_file) as f:
        coco = json.load(f)
    anns = {}
    for a in coco['annotations']:
        anns.setdefault(a['image_id'], []).append(a)
    out = []
    for img in coco['images']:
        h, w = img['height'], img['width']
        pixels = np.asarray(Image.open(os.path.join(image_dir, img['file_name'])).convert('L'), dtype=np.float32)
        kept = [a for a in anns.get(img['id'], []) if not a.get('iscrowd', 0)]
        masks = np.stack([rle_decode(a['segmentation']['counts'], h, w) for a in kept]) if kept \
            else np.zeros((0, h, w), dtype=np.uint8)
        labels = np.array([a['category_id'] for a in kept], dtype=np.int64)
        out.append((img['id'], (pixels / 255.0)[None], masks, labels))
    return out


def boxes_of(masks):
    """Each mask's pixel extent [xmin, ymin, xmax + 1, ymax + 1], as Java's InstanceSegmentation.fromLabels."""
    boxes = np.zeros((len(masks), 4), dtype=np.float32)
    for k, m in enumerate(masks):
        ys, xs = np.nonzero(m)
        boxes[k] = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    return boxes


def init_like_torchvision_resnet(body):
    """torchvision.models.resnet.ResNet's initialisation, which Java's ResNet copies."""
    for m in body.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        elif isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.constant_(m.weight, 1)
            torch.nn.init.constant_(m.bias, 0)


def batches(n, batch, rng):
    """Endless batch indices: a permutation per epoch, the last incomplete batch dropped."""
    while True:
        perm = rng.permutation(n)
        for b in range(n // batch):
            yield perm[b * batch:(b + 1) * batch]


def sample(item, augment, rng):
    _, image, masks, labels = item
    if augment:
        if rng.random_sample() < 0.5:
            image, masks = image[:, :, ::-1], masks[:, :, ::-1]
        if rng.random_sample() < 0.5:
            image, masks = image[:, ::-1, :], masks[:, ::-1, :]
    image, masks = np.ascontiguousarray(image), np.ascontiguousarray(masks)
    return torch.from_numpy(image), {'boxes': torch.from_numpy(boxes_of(masks)),
                                     'labels': torch.from_numpy(labels), 'masks': torch.from_numpy(masks)}


def predict(model, items):
    """COCO results of every item: one per detection, its share of the score-ordered instance map."""
    model.eval()
    results = []
    with torch.no_grad():
        for image_id, image, _, _ in items:
            out = model([torch.from_numpy(image)])[0]
            probs = out['masks'][:, 0].numpy()
            h, w = image.shape[1:]
            claimed = np.zeros((h, w), dtype=bool)
            for d in range(len(probs)):
                mask = (probs[d] > 0.5) & ~claimed
                claimed |= mask
                x1, y1, x2, y2 = (float(v) for v in out['boxes'][d])
                results.append({'image_id': image_id, 'category_id': int(out['labels'][d]),
                                'score': float(out['scores'][d]), 'bbox': [x1, y1, x2 - x1, y2 - y1],
                                'segmentation': {'size': [h, w], 'counts': rle_encode(mask)}})
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    for name in ('--train-json', '--train-images', '--val-json', '--val-images', '--config', '--results'):
        p.add_argument(name, required=True)
    p.add_argument('--steps', type=int, required=True)
    p.add_argument('--batch', type=int, required=True)
    p.add_argument('--lr', type=float, required=True)
    p.add_argument('--warmup', type=int, default=50)
    p.add_argument('--warmup-factor', type=float, default=1e-3)
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--weight-decay', type=float, default=1e-4)
    p.add_argument('--clip-norm', type=float, default=10.0)
    p.add_argument('--augment', action=argparse.BooleanOptionalAction, default=True)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--save', help='write the trained state_dict here (torch.save)')
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    with open(args.config) as f:
        cfg = json.load(f)
    train = load_coco(args.train_json, args.train_images)
    val = load_coco(args.val_json, args.val_images)
    if len(train) < args.batch:
        sys.exit('%d training images give no batch of %d' % (len(train), args.batch))

    model = torch_maskrcnn.build(cfg)
    init_like_torchvision_resnet(model.backbone.body)
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    model.train()
    order = batches(len(train), args.batch, rng)
    losses = []
    t0 = time.perf_counter()
    for i in range(args.steps):
        lr = args.lr if i >= args.warmup else \
            args.lr * (args.warmup_factor + (1 - args.warmup_factor) * i / args.warmup)
        for g in opt.param_groups:
            g['lr'] = lr
        images, targets = zip(*(sample(train[k], args.augment, rng) for k in next(order)))
        loss = sum(model(list(images), list(targets)).values())
        opt.zero_grad()
        loss.backward()
        if args.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(params, args.clip_norm)
        opt.step()
        losses.append(loss.item())
        if not np.isfinite(losses[-1]):
            sys.exit('loss %s at step %d' % (losses[-1], i + 1))
        if (i + 1) % max(1, args.steps // 20) == 0 or i + 1 == args.steps:
            print('torchvision step %d/%d loss %.4f lr %.2e %.2f it/s' % (i + 1, args.steps, losses[-1], lr,
                  (i + 1) / (time.perf_counter() - t0)), file=sys.stderr, flush=True)
    train_seconds = time.perf_counter() - t0
    if args.save:
        torch.save(model.state_dict(), args.save)
    t1 = time.perf_counter()
    results = predict(model, val)
    eval_seconds = time.perf_counter() - t1
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    with open(args.results, 'w') as f:
        json.dump(results, f)
    tail = losses[-max(1, len(losses) // 20):]
    import torchvision
    print(json.dumps(dict(train_seconds=train_seconds, eval_seconds=eval_seconds, steps=args.steps,
                          final_loss=float(np.mean(tail)), detections=len(results),
                          threads=torch.get_num_threads(),
                          version='torch %s, torchvision %s' % (torch.__version__, torchvision.__version__))))


if __name__ == '__main__':
    main()
