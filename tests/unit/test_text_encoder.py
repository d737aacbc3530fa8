"""The text encoder: a prompt's embedding is a function of the prompt alone."""
from __future__ import annotations

import torch

from plugin_service.model.text_encoder import TextEncoder


def test_a_prompt_embeds_the_same_alone_beside_a_longer_prompt_and_in_a_new_encoder():
    prompt = "weathered oak barrel"
    longer = "an enormous, ancient, moss-covered stone gate of a ruined dwarven fortress"
    alone = TextEncoder("cpu").encode([prompt])[0]
    beside = TextEncoder("cpu").encode([longer, prompt])[1]
    assert torch.equal(alone, beside)
    again = TextEncoder("cpu")
    again.encode([longer])
    assert torch.equal(again.encode([prompt, longer])[0], alone)
    assert alone.shape == (384,) and abs(float(alone.norm()) - 1) < 1e-5


def test_training_batches_match_serving_up_to_rounding():
    enc = TextEncoder("cpu")
    prompts = ["weathered oak barrel", "an enormous, ancient, moss-covered stone gate", "red potion"]
    assert torch.allclose(enc.encode_for_training(prompts, batch=2), enc.encode(prompts), atol=1e-5)
