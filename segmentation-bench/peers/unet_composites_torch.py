#!/usr/bin/python3
"""The PyTorch side of `seg experiment composites`: the same U-Net, data, budget and evaluation as the Java side.

Run with the system Python that has PyTorch 1.13 (CPU) and numpy:

    /usr/bin/python3 unet_composites_torch.py --data OUT/data --steps 600 --batch 8 --lr 1e-3 \
        --schedule cosine --augment --seed 7 --threads 2

DATA holds what the Java side wrote (org.segmentation.bench.experiment.CompositesExperiment):
  train_images.npy  float32 (N,1,H,W) in [0, 1]      val_images.npy  float32 (M,1,H,W)
  train_labels.npy  uint8   (N,H,W), classes 0..K-1  val_labels.npy  uint8   (M,H,W)
  model.json        the U-Net's config.json fields (torch_unet.UNet's cfg)

Protocol, as on the Java side: PyTorch's default initialisation (the Java UNet draws the same distributions);
every epoch a random permutation of the training images cut into batches of --batch, the last incomplete batch
dropped; each image independently flipped left-right (p 0.5), then top-bottom (p 0.5), then turned by k
quarter turns, k uniform in 0..3; softmax cross-entropy averaged over the batch's pixels; Adam (0.9, 0.999,
1e-8, no weight decay) with lr(i) = lr (constant) or lr (1 + cos(pi i / steps)) / 2 before step i = 0..steps-1
(cosine); --steps steps. Then, in eval mode (batch-norm running statistics), the argmax of the validation
images is counted in one confusion matrix over the whole validation set: IoU_c = TP / (TP + FP + FN), mean
IoU over the classes with TP + FP + FN > 0, pixel accuracy = trace / total.

Prints progress on stderr and, as its last stdout line, one JSON object: mean_iou, pixel_accuracy, iou (per
class, null where excluded), train_seconds (the training loop alone), eval_seconds, steps, threads, version.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def find_torch_unet():
    """The folder of torch_unet.py: $SEG_TORCH_UNET_DIR, else segmentation-nn/src/test/python above this file."""
    env = os.environ.get('SEG_TORCH_UNET_DIR')
    if env:
        return env
    d = os.path.dirname(os.path.abspath(__file__))
    while True:
        cand = os.path.join(d, 'segmentation-nn', 'src', 'test', 'python')
        if os.path.isfile(os.path.join(cand, 'torch_unet.py')):
            return cand
        parent = os.path.dirname(d)
        if parent == d:
            sys.exit('cannot find segmentation-nn/src/test/python/torch_unet.py above %s; set SEG_TORCH_UNET_DIR'
                     % os.path.abspath(__file__))
        d = parent


sys.path.insert(0, find_torch_unet())
from torch_unet import UNet  # noqa: E402


def augment(images, labels, rng):
    """Flip LR (p 0.5), flip TB (p 0.5), k quarter turns (k uniform 0..3), per image; (B,1,H,W), (B,H,W)."""
    xs, ys = [], []
    for x, y in zip(images, labels):
        if rng.random_sample() < 0.5:
            x, y = x[:, :, ::-1], y[:, ::-1]
        if rng.random_sample() < 0.5:
            x, y = x[:, ::-1, :], y[::-1, :]
        k = int(rng.randint(4))
        x, y = np.rot90(x, k, axes=(1, 2)), np.rot90(y, k, axes=(0, 1))
        xs.append(np.ascontiguousarray(x))
        ys.append(np.ascontiguousarray(y))
    return np.stack(xs), np.stack(ys)


def batches(n, batch, rng):
    """Endless batch indices: a permutation per epoch, the last incomplete batch dropped."""
    while True:
        perm = rng.permutation(n)
        for b in range(n // batch):
            yield perm[b * batch:(b + 1) * batch]


def evaluate(model, images, labels, classes, batch):
    model.eval()
    cm = np.zeros((classes, classes), dtype=np.int64)  # [truth, prediction]
    with torch.no_grad():
        for s in range(0, len(images), batch):
            pred = model(torch.from_numpy(images[s:s + batch])).argmax(1).numpy()
            truth = labels[s:s + batch].astype(np.int64)
            cm += np.bincount(truth.ravel() * classes + pred.ravel(),
                              minlength=classes * classes).reshape(classes, classes)
    tp = np.diag(cm).astype(np.float64)
    denom = cm.sum(0) + cm.sum(1) - tp
    iou = [float(tp[c] / denom[c]) if denom[c] > 0 else None for c in range(classes)]
    present = [v for v in iou if v is not None]
    return (float(np.mean(present)) if present else float('nan'), float(tp.sum() / cm.sum()), iou)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True)
    p.add_argument('--steps', type=int, required=True)
    p.add_argument('--batch', type=int, required=True)
    p.add_argument('--lr', type=float, required=True)
    p.add_argument('--schedule', choices=['constant', 'cosine'], required=True)
    p.add_argument('--augment', action=argparse.BooleanOptionalAction, default=True)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--eval-batch', type=int, default=8)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    with open(os.path.join(args.data, 'model.json')) as f:
        cfg = json.load(f)
    xtr = np.load(os.path.join(args.data, 'train_images.npy'))
    ytr = np.load(os.path.join(args.data, 'train_labels.npy'))
    xva = np.load(os.path.join(args.data, 'val_images.npy'))
    yva = np.load(os.path.join(args.data, 'val_labels.npy'))
    if len(xtr) < args.batch:
        sys.exit('%d training images give no batch of %d' % (len(xtr), args.batch))
    classes = cfg['classes']

    model = UNet(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    model.train()
    order = batches(len(xtr), args.batch, rng)
    t0 = time.perf_counter()
    loss_ema = None
    for i in range(args.steps):
        lr = args.lr if args.schedule == 'constant' else args.lr * (1 + math.cos(math.pi * i / args.steps)) / 2
        for g in opt.param_groups:
            g['lr'] = lr
        idx = next(order)
        x, y = xtr[idx], ytr[idx]
        if args.augment:
            x, y = augment(x, y, rng)
        logits = model(torch.from_numpy(x))
        loss = F.cross_entropy(logits, torch.from_numpy(y.astype(np.int64)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_ema = loss.item() if loss_ema is None else 0.95 * loss_ema + 0.05 * loss.item()
        if (i + 1) % max(1, args.steps // 20) == 0 or i + 1 == args.steps:
            el = time.perf_counter() - t0
            print('torch step %d/%d loss %.4f (avg %.4f) lr %.2e %.2f it/s' % (i + 1, args.steps, loss.item(),
                  loss_ema, lr, (i + 1) / el), file=sys.stderr, flush=True)
    train_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    miou, acc, iou = evaluate(model, xva, yva, classes, args.eval_batch)
    eval_seconds = time.perf_counter() - t1
    print(json.dumps(dict(mean_iou=miou, pixel_accuracy=acc, iou=iou, train_seconds=train_seconds,
                          eval_seconds=eval_seconds, steps=args.steps, threads=torch.get_num_threads(),
                          version='pytorch ' + torch.__version__, final_loss=loss_ema)))


if __name__ == '__main__':
    main()
