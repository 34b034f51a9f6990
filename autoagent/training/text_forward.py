"""The text model's forward pass for training, lean: the same weights and the same arithmetic as
``Glm4vForConditionalGeneration``'s language model, without what a batch of text rows never uses.

On a 2-core CPU the small model's training step is bound by overhead, not by its 4.9M
parameters. Hugging Face's path builds multimodal position ids (three identical rows for text),
a padding-aware attention mask and mrope's per-call recomposition; with a mask, the CPU's fused
attention falls back to its slow masked kernel, whose backward alone took a quarter of the step.
Here rows are right-padded, so a plain causal mask is exact for every real token (padding only
ever follows it), and the rotary tables are built once per width.

``tests/test_text_forward.py`` holds it to Hugging Face's hidden states, so a checkpoint trained
through it loads and runs unchanged in ``LocalGLMPolicy``.
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F


@functools.lru_cache(maxsize=64)
def _rotary_tables(inv_freq: tuple[float, ...], width: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin for positions 0..width-1, one column per rotated pair: for text every
    position id is the same on mrope's three axes, so its sections recombine to plain RoPE."""
    angles = torch.arange(width, dtype=torch.float32)[:, None] * torch.tensor(inv_freq, dtype=torch.float32)
    return angles.cos().to(device), angles.sin().to(device)


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """GLM's RoPE on the first ``2 * cos.shape[-1]`` features, adjacent features as pairs."""
    rotated = 2 * cos.shape[-1]
    pairs = x[..., :rotated].unflatten(-1, (-1, 2))
    even, odd = pairs[..., 0], pairs[..., 1]
    turned = torch.stack((even * cos - odd * sin, odd * cos + even * sin), dim=-1).flatten(-2)
    return torch.cat((turned, x[..., rotated:].to(turned.dtype)), dim=-1)


def _attention(attn, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    batch, width, _ = x.shape
    head_dim = attn.head_dim
    q = attn.q_proj(x).view(batch, width, -1, head_dim).transpose(1, 2)
    k = attn.k_proj(x).view(batch, width, -1, head_dim).transpose(1, 2)
    v = attn.v_proj(x).view(batch, width, -1, head_dim).transpose(1, 2)
    q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
    groups = q.shape[1] // k.shape[1]
    if groups > 1:
        k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
    # In float32: on a CPU the fused kernel's bf16 backward takes twice as long as its float32 one.
    with torch.autocast(x.device.type, enabled=False):
        out = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), is_causal=True, scale=attn.scaling)
    return attn.o_proj(out.transpose(1, 2).reshape(batch, width, -1))


def text_hidden_states(model, input_ids: torch.Tensor) -> torch.Tensor:
    """The last hidden states of ``model`` (a ``Glm4vForConditionalGeneration``) for right-padded
    text rows: exact at every real token; what padding positions hold is meaningless."""
    text = model.model.language_model
    width = input_ids.shape[1]
    inv_freq = text.rotary_emb.inv_freq
    cos, sin = _rotary_tables(tuple(inv_freq.tolist()), width, str(inv_freq.device))
    x = text.embed_tokens(input_ids)
    for layer in text.layers:
        x = x + layer.post_self_attn_layernorm(_attention(layer.self_attn, layer.input_layernorm(x), cos, sin))
        x = x + layer.post_mlp_layernorm(layer.mlp(layer.post_attention_layernorm(x)))
    return text.norm(x)
