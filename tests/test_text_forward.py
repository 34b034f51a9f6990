"""The training's lean forward pass gives Hugging Face's hidden states at every real token.

A checkpoint trained through it is loaded and run by ``LocalGLMPolicy`` through
``Glm4vForConditionalGeneration`` itself, so the two must agree: here on the shipped weights
(trained, so a wrong rotation or attention pattern shows) and on a fresh tiny model whose
heads share key-value heads.
"""

from __future__ import annotations

import random

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from transformers import Glm4vForConditionalGeneration

from autoagent.policy.embedded import EMBEDDED_DIR
from autoagent.training.text_forward import text_hidden_states
from autoagent.training.train import SIZES, autocast, build_model, build_tokenizer, load_tokenizer


def _right_padded(lengths: list[int], vocab: int, pad: int, seed: int = 0) -> tuple:
    rng = random.Random(seed)
    ids = torch.full((len(lengths), max(lengths)), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.tensor([rng.randrange(vocab) for _ in range(n)])
        mask[row, :n] = 1
    return ids, mask


def _hugging_face(model, ids, mask):
    return model.model(input_ids=ids, attention_mask=mask, mm_token_type_ids=torch.zeros_like(ids)).last_hidden_state


@pytest.fixture(scope="module")
def shipped():
    tokenizer = load_tokenizer(EMBEDDED_DIR)
    return Glm4vForConditionalGeneration.from_pretrained(EMBEDDED_DIR, dtype=torch.float32).eval(), tokenizer


def test_the_shipped_weights_read_the_same_through_both_paths(shipped) -> None:
    model, tokenizer = shipped
    ids, mask = _right_padded([37, 180, 5, 121], len(tokenizer), tokenizer.pad_token_id)
    real = mask.bool()
    with torch.no_grad():
        expected = _hugging_face(model, ids, mask)
        lean = text_hidden_states(model, ids)
    assert torch.allclose(lean[real], expected[real], atol=1e-4, rtol=1e-4)
    assert expected[real].abs().mean() > 0.1  # states of substance, not zeros that match anything


def test_both_paths_agree_under_bf16_autocast_and_in_their_gradients(shipped) -> None:
    model, tokenizer = shipped
    ids, mask = _right_padded([64, 90], len(tokenizer), tokenizer.pad_token_id, seed=1)
    real = mask.bool()
    with torch.no_grad(), autocast("cpu"):
        expected, lean = _hugging_face(model, ids, mask), text_hidden_states(model, ids)
    # The lean pass keeps attention in float32; bf16 autocast elsewhere rounds both the same way.
    assert (lean[real].float() - expected[real].float()).abs().mean() < 0.02

    def grads(forward) -> dict[str, torch.Tensor]:
        model.zero_grad()
        forward()[real].square().mean().backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    theirs, ours = grads(lambda: _hugging_face(model, ids, mask)), grads(lambda: text_hidden_states(model, ids))
    model.zero_grad()
    assert set(theirs) == set(ours) and len(ours) > 10
    for name, grad in theirs.items():
        assert torch.allclose(ours[name], grad, atol=1e-5, rtol=1e-3), name


def test_a_fresh_model_with_shared_key_value_heads_reads_the_same() -> None:
    tokenizer = build_tokenizer(["open the shop and buy a white t-shirt in size m"] * 4, SIZES["tiny"].vocab)
    model = build_model(tokenizer, SIZES["tiny"], seed=3).eval()
    text = model.config.text_config
    assert text.num_attention_heads > text.num_key_value_heads  # the grouped case
    ids, mask = _right_padded([12, 30, 3], len(tokenizer), tokenizer.pad_token_id, seed=2)
    real = mask.bool()
    with torch.no_grad():
        assert torch.allclose(text_hidden_states(model, ids)[real], _hugging_face(model, ids, mask)[real],
                              atol=1e-5, rtol=1e-4)
