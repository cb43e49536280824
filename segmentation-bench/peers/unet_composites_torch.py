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

Paired runs (both sides from the same draws; `seg experiment composites --init FILE --order FILE` passes them on):
  --dump-init FILE   writes this run's initial state_dict (from --seed, or --init) as safetensors, without the
                     num_batches_tracked counters: the parameter and buffer names of the Java UNet
  --dump-order FILE  writes this run's batches, int32 .npy of shape (steps, batch) of training-image indices
  --init FILE        starts from that state_dict (safetensors, every key of the module) instead of the seeded one
  --order FILE       trains on the rows of that .npy, step after step, instead of the seeded permutations
--order and --dump-order refuse --augment: the flips and turns are not part of the file.

Prints progress on stderr and, as its last stdout line, one JSON object: mean_iou, pixel_accuracy, iou (per
class, null where excluded), train_seconds (the training loop alone), eval_seconds, steps, threads, version,
first_loss (step 1's loss) and final_loss (the mean loss of the last 5% of the steps, at least one, as on the
Java side).
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
    """The folder of torch_unet.py: $SEG_TORCH_UNET_DIR, else segmentation-nn/src/test/python above this file.
    The safetensors reader and writer are in ../resources/org/segmentation/nn/io beside it."""
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


NN_PYTHON = find_torch_unet()
sys.path.insert(0, NN_PYTHON)
sys.path.insert(0, os.path.join(NN_PYTHON, '..', 'resources', 'org', 'segmentation', 'nn', 'io'))
from check_safetensors import read_safetensors  # noqa: E402
from make_safetensors_fixtures import write_safetensors  # noqa: E402
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


def batch_order(args, n):
    """The (steps, batch) indices of --order, or None: checked against the run's steps, batch and n images."""
    if args.order is None:
        return None
    rows = np.load(args.order)
    if rows.shape != (args.steps, args.batch) or rows.dtype.kind not in 'iu':
        sys.exit('--order %s is %s %s, not integers of shape (%d, %d)' % (args.order, rows.dtype, rows.shape,
                                                                          args.steps, args.batch))
    if rows.size and (rows.min() < 0 or rows.max() >= n):
        sys.exit('--order %s holds indices outside 0..%d' % (args.order, n - 1))
    return rows.astype(np.int64)


def load_init(model, path):
    """Loads every key of the module but the num_batches_tracked counters from a safetensors file."""
    tensors, _ = read_safetensors(path)
    result = model.load_state_dict({k: torch.from_numpy(a.copy()) for k, (_, a) in tensors.items()}, strict=False)
    if result.unexpected_keys or any(not k.endswith('num_batches_tracked') for k in result.missing_keys):
        sys.exit('--init %s does not fit the U-Net of model.json: %s' % (path, result))


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
    p.add_argument('--init', help='initial state_dict, safetensors')
    p.add_argument('--order', help='batches, .npy (steps, batch) of training-image indices')
    p.add_argument('--dump-init', metavar='FILE', help='write the initial state_dict as safetensors')
    p.add_argument('--dump-order', metavar='FILE', help="write the run's batches as .npy (steps, batch)")
    args = p.parse_args()
    if args.augment and (args.order or args.dump_order):
        p.error('--order and --dump-order need --no-augment: the augmentation is not part of the order file')

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
    if args.init:
        load_init(model, args.init)
    if args.dump_init:
        write_safetensors(args.dump_init, {k: v.detach().numpy().copy() for k, v in model.state_dict().items()
                                           if not k.endswith('num_batches_tracked')}, {})
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    model.train()
    rows = batch_order(args, len(xtr))
    if rows is None:
        order = batches(len(xtr), args.batch, rng)
        if args.dump_order:
            # Without augmentation the permutations are all this run draws from rng: the same batches as lazily.
            rows = np.stack([next(order) for _ in range(args.steps)])
    if args.dump_order:
        np.save(args.dump_order, rows.astype(np.int32))
    t0 = time.perf_counter()
    loss_ema = None
    losses = []
    for i in range(args.steps):
        lr = args.lr if args.schedule == 'constant' else args.lr * (1 + math.cos(math.pi * i / args.steps)) / 2
        for g in opt.param_groups:
            g['lr'] = lr
        idx = rows[i] if rows is not None else next(order)
        x, y = xtr[idx], ytr[idx]
        if args.augment:
            x, y = augment(x, y, rng)
        logits = model(torch.from_numpy(x))
        loss = F.cross_entropy(logits, torch.from_numpy(y.astype(np.int64)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        loss_ema = losses[-1] if loss_ema is None else 0.95 * loss_ema + 0.05 * losses[-1]
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
                          version='pytorch ' + torch.__version__, first_loss=losses[0],
                          final_loss=float(np.mean(losses[-max(1, len(losses) // 20):])))))


if __name__ == '__main__':
    main()
