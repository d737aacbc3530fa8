"""Caption augmentation: several captions per training image, so a prompt a person types lands
near something the generator was trained on.

Each image gets its source caption, its category name, kind templates of both, the category's
training synonyms (TRAIN_SYNONYMS) and, when its visible pixels have a clear hue, the colour word
in front (colour.colour_name). Recoloured copies (the trainer's --recolour-share) are captioned
"<colour> <category name or synonym>" (recolour_captions). The evaluation's held-out phrasings (eval_prompts.json) must never
appear in any of these; tests/unit/test_eval_prompts.py checks it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from .colour import HUE_CENTRES, colour_name

# Words a person might type for a category instead of its name. Disjoint from the evaluation's
# held-out phrasings (which are never trained on).
TRAIN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "axe": ("battle axe", "war axe"),
    "beast": ("animal", "wild animal", "wolf", "bear"),
    "book": ("spell book", "scroll"),
    "bow": ("bow and arrow", "crossbow"),
    "brick": ("bricks", "brick pattern"),
    "building": ("house", "tower", "hut"),
    "cobblestone": ("cobbles", "stone road"),
    "container": ("chest", "barrel", "crate"),
    "dirt": ("soil", "earth"),
    "drake": ("drake warrior", "winged lizard"),
    "dunefolk": ("desert fighter", "sand warrior"),
    "dwarf": ("dwarf warrior", "dwarven fighter"),
    "elemental": ("elemental creature", "slime monster"),
    "elf": ("elf archer", "elven warrior"),
    "fabric": ("wool", "fabric", "carpet"),
    "fire": ("fire", "burning torch", "flame"),
    "flying beast": ("bird", "bat", "eagle"),
    "ghost": ("spirit", "wraith", "spectre"),
    "giant insect": ("insect", "spider", "scorpion"),
    "goblin": ("goblin warrior", "small goblin"),
    "grass": ("grassy ground", "turf"),
    "gravel": ("gravel path", "small stones"),
    "horse rider": ("knight", "rider on a horse", "mounted warrior"),
    "human soldier": ("soldier", "warrior", "guard"),
    "ice and snow": ("snow", "ice"),
    "jewelry": ("necklace", "jewel ring", "jewellery"),
    "lava": ("lava flow", "hot lava"),
    "leaves": ("tree leaves", "leafy texture"),
    "mage": ("sorcerer", "magician", "cleric"),
    "magic circle": ("rune circle", "magic rune"),
    "marble": ("marble stone", "marble floor"),
    "merfolk": ("merman", "sea folk"),
    "metal": ("metal", "steel", "metal panel"),
    "naga": ("serpent warrior", "snake warrior"),
    "necromancer": ("dark mage", "lich"),
    "orc": ("orc warrior", "orc grunt"),
    "ore": ("ore", "ore block"),
    "outlaw": ("rogue", "bandit", "poacher"),
    "plant": ("flower", "bush", "sapling"),
    "potion": ("potion bottle", "magic potion", "bottle"),
    "rock": ("stone block", "rocks"),
    "sand": ("sand ground", "desert sand"),
    "sandstone": ("sandstone wall", "sandstone rock"),
    "saurian": ("lizard warrior", "lizard"),
    "sea monster": ("sea serpent", "squid"),
    "skeleton": ("skeleton warrior", "bones"),
    "staff": ("magic staff", "wand", "stick"),
    "stone": ("stone wall", "rock wall"),
    "sword": ("sword", "dagger", "steel sword"),
    "tool": ("shovel", "pickaxe", "hammer"),
    "treasure": ("gold", "gem", "crystal", "coins"),
    "tree bark": ("bark", "wood bark"),
    "troll": ("troll warrior", "big troll"),
    "water": ("water surface", "sea water"),
    "wood planks": ("planks", "wood floor", "wooden boards"),
    "wose": ("tree monster", "walking tree"),
    "zombie": ("undead", "walking dead"),
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "texture": ("{} texture", "seamless {}", "{} tile"),
    "sprite": ("{} sprite", "{} character", "a {}"),
    "prop": ("{} icon", "{} item", "a {}"),
}


def image_captions(caption: str, category: str, kind: str, rgba: np.ndarray | None) -> list[str]:
    """Every caption one training image may be shown with (no duplicates, source caption first).

    rgba: the image ([H, W, 4] uint8) whose visible hue may add a colour word, or None."""
    name = category.replace("_", " ")
    bases = [caption, name, *TRAIN_SYNONYMS.get(category, ())]
    out = list(bases)
    for b in (caption, name):
        out += [t.format(b) for t in TEMPLATES[kind]]
    colour = colour_name(rgba) if rgba is not None else None
    if colour is not None:
        has_colour = any(w in caption.split() for w in HUE_CENTRES)
        out += [f"{colour} {b}" for b in bases if not (b is caption and has_colour)]
    return list(dict.fromkeys(s.strip() for s in out if s.strip()))


def recolour_captions(category: str) -> dict[str, list[str]]:
    """Captions of a recoloured copy of an image of this category, by colour word (HUE_CENTRES
    order): the colour word before the category name and each of its TRAIN_SYNONYMS."""
    bases = [category.replace("_", " "), *TRAIN_SYNONYMS.get(category, ())]
    return {colour: [f"{colour} {b}" for b in bases] for colour in HUE_CENTRES}


def load_eval_prompts() -> dict:
    """The evaluation's prompt sets (plain, held_out, attributes) from eval_prompts.json."""
    return json.loads((Path(__file__).with_name("eval_prompts.json")).read_text())


def held_out_leaks(captions: list[str]) -> list[tuple[str, str]]:
    """(held-out phrasing, caption) pairs where a training caption contains a held-out phrasing
    as whole words (case-insensitive). The trainer refuses to start when this is not empty."""
    phrases = [p for ps in load_eval_prompts()["held_out"].values() for p in ps]
    rx = re.compile(r"\b(" + "|".join(re.escape(p.lower()) for p in phrases) + r")\b")
    out = []
    for c in captions:
        m = rx.search(c.lower())
        if m:
            out.append((m.group(1), c))
    return out
