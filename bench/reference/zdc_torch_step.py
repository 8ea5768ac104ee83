"""PyTorch twin of the engine's ZDC training step (gan/models_zdc.cpp, gan/trainer.cpp,
gan/regularizers.cpp): the "original" generator and discriminator, the device-resident dataset
with its real-pair sampler, and one GAN step with each diversity regularizer.

Library module for bench/reference/train_zdc_torch.py (imported, not run). Self-check:
    /usr/bin/python3 bench/reference/zdc_torch_step.py      # parameter counts and shapes on the CPU
"""
import inspect

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT = 10
COND = 9
DIVCO_K = 10
DIVCO_TAU = 1.0
DIVCO_RADIUS = 1e-3
EPS = 1e-5
REGS = ("none", "ms", "ds", "divco", "sdi", "divbal")
LAMBDA = {"none": 0.0, "ms": 1.0, "ds": 1.0, "divco": 1.0, "sdi": 0.1, "divbal": 0.1}
# The C++ engine's trainable-parameter counts; a mismatch means the twin is not the same network.
G_PARAMS = 5_830_657
D_PARAMS = 180_913


def _block(layer, bn):
    # BN -> Dropout -> LeakyReLU after every hidden layer, as the engine's bn_block.
    return [layer, bn, nn.Dropout(0.2), nn.LeakyReLU(0.1)]


def _bn1d(n):
    return nn.BatchNorm1d(n, eps=1e-3, momentum=0.01)


def _bn2d(n):
    return nn.BatchNorm2d(n, eps=1e-3, momentum=0.01)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        # BN1d(21632) normalizes the flat vector before the reshape: 21632 separate features,
        # not 128 channels, which is why the generator has 43k BN parameters there.
        self.dense = nn.Sequential(*_block(nn.Linear(LATENT + COND, 256), _bn1d(256)),
                                   *_block(nn.Linear(256, 128 * 13 * 13), _bn1d(128 * 13 * 13)))
        self.conv = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            *_block(nn.Conv2d(128, 128, 3), _bn2d(128)),
            nn.Upsample(scale_factor=2, mode="nearest"),
            *_block(nn.Conv2d(128, 64, 3), _bn2d(64)),
            nn.Conv2d(64, 1, 3), nn.ReLU())

    def forward(self, z, c):
        h = self.dense(torch.cat([z, c], 1))
        return self.conv(h.view(-1, 128, 13, 13))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(*_block(nn.Conv2d(1, 32, 3), _bn2d(32)), nn.MaxPool2d(2),
                                  *_block(nn.Conv2d(32, 16, 3), _bn2d(16)), nn.MaxPool2d(2))
        self.dense = nn.Sequential(*_block(nn.Linear(16 * 9 * 9 + COND, 128), _bn1d(128)),
                                   *_block(nn.Linear(128, 64), _bn1d(64)))
        self.head = nn.Linear(64, 1)

    def forward(self, x, c):
        e = self.dense(torch.cat([self.conv(x).flatten(1), c], 1))
        return self.head(e), e


def n_params(m):
    return sum(p.numel() for p in m.parameters() if p.requires_grad)


def adam_supports_capturable():
    return "capturable" in inspect.signature(torch.optim.Adam.__init__).parameters


def make_adam(params, capturable):
    kw = {"lr": 2e-4, "betas": (0.5, 0.999), "eps": 1e-8, "weight_decay": 0.0}
    if capturable:
        kw["capturable"] = True
    return torch.optim.Adam(params, **kw)


class DeviceData:
    """The whole training split on the device, plus a members table so that drawing a batch and
    its real pairs is pure tensor work (no host round trip, so it can live inside a CUDA graph)."""

    def __init__(self, path, device):
        with np.load(path) as z:
            x, c = z["x"].astype(np.float32), z["c"].astype(np.float32)
            fdiv, group = z["fdiv"].astype(np.float32), z["group"].astype(np.int64)
        n = x.shape[0]
        if x.shape[1:] != (1, 44, 44) or c.shape != (n, COND) or fdiv.shape != (n,) \
                or group.shape != (n,):
            raise ValueError(f"{path}: expected x (N,1,44,44), c (N,9), fdiv (N,), group (N,); got "
                             f"{x.shape}, {c.shape}, {fdiv.shape}, {group.shape}")
        order = np.argsort(group, kind="stable")
        _, first, inverse, counts = np.unique(group[order], return_index=True,
                                              return_inverse=True, return_counts=True)
        start_sorted = first[inverse]
        start, size, pos = (np.empty(n, np.int64) for _ in range(3))
        start[order] = start_sorted
        size[order] = counts[inverse]
        pos[order] = np.arange(n) - start_sorted
        self.n = n
        self.n_groups = len(counts)
        t = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(device)
        self.x, self.c, self.fdiv = t(x), t(c), t(fdiv)
        self.members, self.start, self.size, self.pos = t(order), t(start), t(size), t(pos)
        self.nbytes = sum(a.numel() * a.element_size() for a in
                          (self.x, self.c, self.fdiv, self.members, self.start, self.size, self.pos))

    def draw(self, b):
        dev = self.x.device
        # Uniform rows with replacement, as the engine's trainer (u * N, clamped against rounding).
        idx = (torch.rand(b, device=dev) * self.n).long().clamp_(max=self.n - 1)
        size, pos = self.size[idx], self.pos[idx]
        # Skip past oneself by 1..size-1 positions: a uniform *other* member; a singleton's
        # offset is 0 mod 1, i.e. itself.
        k = (torch.rand(b, device=dev) * (size - 1)).long()
        k = torch.minimum(k, (size - 2).clamp(min=0))
        pair = self.members[self.start[idx] + (pos + 1 + k) % size]
        return self.x[idx], self.c[idx], self.fdiv[idx], self.x[pair]


def _mean_rows_abs_diff(a, b):
    return (a - b).abs().flatten(1).mean(1)


def regularizer_loss(reg, fake, out_e, z1, z2, fdiv, d_real_fn, b):
    """The diversity term L (before lambda). `out_e` holds the features of D(fake, c_all) for the
    feature-space regularizers; `d_real_fn` runs the no-grad real-pair pass for DivBal."""
    if reg == "ms":
        r = (fake[:b] - fake[b:2 * b]).abs().mean() / (z1 - z2).abs().mean()
        return 1.0 / (r + EPS)
    if reg == "ds":
        dz = (z1 - z2).abs().mean(1)
        return -(_mean_rows_abs_diff(fake[:b], fake[b:2 * b].detach()) / (dz + EPS)).mean()
    if reg in ("sdi", "divbal"):
        dz = (z1 - z2).abs().mean(1)
        dg = _mean_rows_abs_diff(out_e[:b], out_e[b:2 * b])
        if reg == "sdi":
            w = fdiv
        else:
            with torch.no_grad():
                er = d_real_fn()
                w = torch.tanh(_mean_rows_abs_diff(er[:b], er[b:]) - dg.detach())
        return (w / (dg / dz + EPS)).mean()
    if reg == "divco":
        eq, epos = out_e[:b], out_e[b:2 * b]
        eneg = out_e[2 * b:].view(b, DIVCO_K, -1)
        logits = torch.cat([(eq * epos).sum(1, keepdim=True),
                            torch.einsum("bf,bkf->bk", eq, eneg)], 1) / DIVCO_TAU
        return F.cross_entropy(logits, torch.zeros(b, dtype=torch.long, device=eq.device))
    raise ValueError(f"unknown regularizer {reg!r}")


class Trainer:
    """Networks, optimizers and one step. `g_net` / `d_net` may be compiled wrappers of `g` / `d`
    (same parameters); the step never reads a value back to the host."""

    def __init__(self, data, reg, batch, device, capturable=False):
        if reg not in REGS:
            raise ValueError(f"unknown regularizer {reg!r}")
        self.data, self.reg, self.b = data, reg, batch
        self.g, self.d = Generator().to(device), Discriminator().to(device)
        self.g.train()
        self.d.train()
        self.g_net, self.d_net = self.g, self.d
        self.opt_g = make_adam(self.g.parameters(), capturable)
        self.opt_d = make_adam(self.d.parameters(), capturable)

    def step(self):
        b, reg, dev = self.b, self.reg, self.data.x.device
        x, c, fdiv, x_pair = self.data.draw(b)
        z1 = torch.randn(b, LATENT, device=dev)
        z2 = None
        if reg in ("ms", "ds", "sdi", "divbal"):
            z2 = torch.randn(b, LATENT, device=dev)
            z_all, c_all = torch.cat([z1, z2]), torch.cat([c, c])
        elif reg == "divco":
            zpos = z1 + (torch.rand(b, LATENT, device=dev) * 2 - 1) * DIVCO_RADIUS
            zneg = torch.randn(b * DIVCO_K, LATENT, device=dev)
            z_all = torch.cat([z1, zpos, zneg])
            # c.repeat_interleave(K, 0) as a view + copy: the int overload of repeat_interleave
            # reads the repeat count back to the host in some torch versions (breaks capture).
            c_neg = c.unsqueeze(1).expand(b, DIVCO_K, COND).reshape(b * DIVCO_K, COND)
            c_all = torch.cat([c, c, c_neg])
        else:
            z_all, c_all = z1, c
        fake = self.g_net(z_all, c_all)
        fake1 = fake[:b]

        self.opt_d.zero_grad(set_to_none=True)
        lr = self.d_net(x, c)[0]
        lf = self.d_net(fake1.detach(), c)[0]
        loss_d = (F.binary_cross_entropy_with_logits(lr, torch.ones_like(lr))
                  + F.binary_cross_entropy_with_logits(lf, torch.zeros_like(lf)))
        loss_d.backward()
        self.opt_d.step()

        self.opt_g.zero_grad(set_to_none=True)
        feature_reg = reg in ("sdi", "divbal", "divco")
        logit, e = self.d_net(fake, c_all) if feature_reg else self.d_net(fake1, c)
        logit1 = logit[:b]
        loss_adv = F.binary_cross_entropy_with_logits(logit1, torch.ones_like(logit1))
        loss_g, loss_div = loss_adv, None
        if reg != "none":
            real_fn = lambda: self.d_net(torch.cat([x, x_pair]), torch.cat([c, c]))[1]
            loss_div = regularizer_loss(reg, fake, e, z1, z2, fdiv, real_fn, b)
            loss_g = loss_adv + LAMBDA[reg] * loss_div
        loss_g.backward()
        self.opt_g.step()
        return loss_d.detach(), loss_adv.detach(), \
            (loss_div.detach() if loss_div is not None else None)

    def grads_finite(self):
        ps = [p for p in list(self.g.parameters()) + list(self.d.parameters())]
        missing = sum(p.grad is None for p in ps)
        bad = sum(int(not torch.isfinite(p.grad).all()) for p in ps if p.grad is not None)
        return missing == 0 and bad == 0


def sanity_check(device):
    """Parameter counts against the engine's, and output shapes, before anything is timed."""
    g, d = Generator().to(device), Discriminator().to(device)
    ng, nd = n_params(g), n_params(d)
    assert ng == G_PARAMS, f"generator has {ng} parameters, the engine's has {G_PARAMS}"
    assert nd == D_PARAMS, f"discriminator has {nd} parameters, the engine's has {D_PARAMS}"
    b = 4
    img = g(torch.randn(b, LATENT, device=device), torch.randn(b, COND, device=device))
    assert tuple(img.shape) == (b, 1, 44, 44), f"G output {tuple(img.shape)}"
    assert bool((img >= 0).all()), "G output must be >= 0 (ReLU)"
    logit, e = d(img, torch.randn(b, COND, device=device))
    assert tuple(logit.shape) == (b, 1) and tuple(e.shape) == (b, 64), \
        f"D outputs {tuple(logit.shape)}, {tuple(e.shape)}"
    (logit.sum() + e.sum()).backward()
    assert all(p.grad is not None for p in g.parameters()), "a generator parameter got no gradient"
    return ng, nd


def check_regularizers():
    """regularizer_loss on the hand-computed cases of tests/test_regularizers.cpp (B = 2, F = 2),
    so the twin's formulas cannot drift from the engine's unnoticed."""
    global EPS, DIVCO_K
    saved = EPS, DIVCO_K
    t = lambda v: torch.tensor(v, dtype=torch.float64)
    x1, x2 = t([[1, 2], [0, 0]]), t([[0, 0], [1, 1]])
    z1, z2 = t([[1, 1], [0, 0]]), t([[0, 0], [0, 4]])
    fake = torch.cat([x1, x2])
    try:
        EPS = 0.5
        want = {"ms": 0.75, "ds": -0.7, "sdi": 0.55}
        got = {"ms": regularizer_loss("ms", fake, None, z1, z2, None, None, 2),
               "ds": regularizer_loss("ds", fake, None, z1, z2, None, None, 2),
               "sdi": regularizer_loss("sdi", None, fake, z1, z2, t([0.2, 1.0]), None, 2)}
        real = lambda: t([[0, 0], [0, 0], [3, 1], [0, -0.5]])
        got["divbal"] = regularizer_loss("divbal", None, fake, z1, z2, None, real, 2)
        want["divbal"] = -0.2020452
        DIVCO_K = 2
        e = t([[1, 0], [0, 1], [2, 0], [0, 1], [0, 0], [1, 0], [0, 2], [3, 3]])
        got["divco"] = regularizer_loss("divco", None, e, None, None, None, None, 2)
        want["divco"] = 1.4076059644
    finally:
        EPS, DIVCO_K = saved
    for k, w in want.items():
        assert abs(float(got[k]) - w) < 1e-6, f"{k}: {float(got[k])} != engine's {w}"


if __name__ == "__main__":
    ng, nd = sanity_check(torch.device("cpu"))
    check_regularizers()
    print(f"ok: G {ng:,} parameters, D {nd:,} parameters, shapes as the engine's; "
          "ms/ds/sdi/divbal/divco match the engine's hand-computed test values")
