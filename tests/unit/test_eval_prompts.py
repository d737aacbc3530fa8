"""The evaluation's prompt sets: complete, and never trained on."""
from __future__ import annotations

from plugin_service.data.categories import FLARE_ICONS, FLARE_LOOT, TEXTURE_RULES, all_categories
from plugin_service.training.captions import (TRAIN_SYNONYMS, held_out_leaks, image_captions, load_eval_prompts,
                                               recolour_captions)
from plugin_service.training.colour import HUE_CENTRES, colour_name

import numpy as np


def test_every_category_has_a_plain_name_and_held_out_phrasings():
    prompts = load_eval_prompts()
    cats = all_categories()
    built = {c for c in cats if c not in ("armor", "blunt weapon", "polearm", "shield")}  # dropped by the builder (too few images)
    assert built <= set(prompts["plain"]) and built <= set(prompts["held_out"])
    assert all(len(v) >= 2 for v in prompts["held_out"].values())
    for prompt, cat, colour in prompts["attributes"]:
        assert cat in cats and colour in HUE_CENTRES and colour in prompt.split()


def test_no_training_caption_contains_a_held_out_phrasing():
    """Augmented captions of every category, from every source caption the tables define, in
    every colour, and every recoloured copy's caption; the trainer also refuses a data set whose own captions leak (held_out_leaks)."""
    captions = []
    sources = {cat: [cap for c, _, cap in TEXTURE_RULES if c == cat] or [cat] for cat in all_categories()}
    for cat, cap in list(FLARE_ICONS.values()) + list(FLARE_LOOT.values()):
        sources[cat].append(cap)
    for cat, kind in all_categories().items():
        for source in sources[cat]:
            for colour in HUE_CENTRES:
                rgba = np.zeros((8, 8, 4), np.uint8)
                rgba[..., 3] = 255
                rgba[..., :3] = {"red": (220, 20, 20), "orange": (230, 130, 20), "yellow": (230, 230, 20),
                                 "green": (20, 200, 20), "blue": (20, 60, 230), "purple": (150, 30, 220)}[colour]
                assert colour_name(rgba) == colour
                captions += image_captions(source, cat, kind, rgba)
        captions += [c for caps in recolour_captions(cat).values() for c in caps]
    assert set(TRAIN_SYNONYMS) <= set(all_categories())
    assert held_out_leaks(captions) == []
    assert held_out_leaks(["a hatchet for wood"]) == [("hatchet", "a hatchet for wood")]
    assert held_out_leaks(["mudcrawler"]) == []          # whole words only


def test_colour_words_are_added_only_for_a_clear_hue():
    grey = np.full((8, 8, 4), 128, np.uint8)
    grey[..., 3] = 255
    assert colour_name(grey) is None
    caps = image_captions("steel sword", "sword", "prop", grey)
    assert caps[0] == "steel sword" and "sword icon" in caps and not any(c.startswith("red ") for c in caps)
