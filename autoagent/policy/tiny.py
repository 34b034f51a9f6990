"""A tiny, randomly initialised GLM-4.1V checkpoint of the real architecture.

It runs the local engine end to end on a CPU in well under a second per step, so the
loading, prompting, vision, generation and stopping code is exercised without downloading
nine billion parameters. It knows nothing: its replies are noise unless it is taught one
(see :func:`teach_reply`).

    python -m autoagent.policy.tiny /tmp/tiny-glm     # writes a checkpoint folder
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from autoagent.policy.images import PATCH_FACTOR, TEMPORAL_FACTOR

# GLM's control tokens, in the order GLM-4 lists them, plus the reply tags.
SPECIAL_TOKENS = [
    "<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>",
    "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>",
    "<|begin_of_image|>", "<|end_of_image|>", "<|begin_of_video|>", "<|end_of_video|>",
    "<|image|>", "<|video|>", "<think>", "</think>", "<answer>", "</answer>",
    "<|begin_of_box|>", "<|end_of_box|>",
]
STOP_TOKENS = ("<|endoftext|>", "<|user|>", "<|observation|>")

# GLM-4.1V's conversation layout: [gMASK]<sop>, then <|role|>\n before each message, images
# as <|begin_of_image|><|image|><|end_of_image|>, and <|assistant|>\n to start a reply.
CHAT_TEMPLATE = (
    "[gMASK]<sop>"
    "{%- for m in messages -%}"
    "{{ '<|' + m['role'] + '|>\\n' }}"
    "{%- if m['content'] is string -%}{{ m['content'] }}"
    "{%- else -%}{%- for part in m['content'] -%}"
    "{%- if part['type'] in ('image', 'image_url') -%}{{ '<|begin_of_image|><|image|><|end_of_image|>' }}"
    "{%- elif part['type'] == 'text' -%}{{ part['text'] }}"
    "{%- endif -%}{%- endfor -%}{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|assistant|>\\n' }}{%- endif -%}"
)

# Small enough that a 1080x2400 screen becomes 84 vision tokens.
TINY_MAX_PIXELS = TEMPORAL_FACTOR * PATCH_FACTOR * PATCH_FACTOR * 100


def _corpus() -> list[str]:
    from autoagent.policy.prompts import system_prompt

    calls = [
        'do(action="Tap", element=[500,300])', 'do(action="Type", text="hello 你好")',
        'do(action="Swipe", start=[500,800], end=[500,200])', 'do(action="Launch", app="微信")',
        'do(action="Back")', 'do(action="Home")', 'do(action="Wait", duration="2 seconds")',
        'finish(message="完成 done")', '<think>打开设置，点击 Wi-Fi。</think><answer>',
        '** Screen Info **\n{"current_app": "Settings"}', "Task: 任务：打开微信搜索美食",
        "0123456789 [0,0] [999,999] 中文 汉字 设置 搜索 购物 支付 确认",
    ]
    return [system_prompt("en"), system_prompt("zh")] + calls * 4


def build_tokenizer(vocab_size: int = 1200):
    """A byte-level BPE tokenizer trained on the prompts and the action grammar."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_corpus(), trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
                                 padding_side="left")
    hf.chat_template = CHAT_TEMPLATE
    return hf


def build_tiny_glm(folder: str | Path, seed: int = 0) -> Path:
    """Write a complete tiny checkpoint (config, weights, tokenizer, image processor)."""
    import torch
    from transformers import Glm4vConfig, Glm4vForConditionalGeneration, GenerationConfig
    from transformers.models.glm4v.image_processing_pil_glm4v import Glm4vImageProcessorPil

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    hidden = 64
    config = Glm4vConfig(
        text_config={
            "vocab_size": len(tokenizer), "hidden_size": hidden, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "max_position_embeddings": 4096, "pad_token_id": ids["<|endoftext|>"],
            # Real GLM-4.1V rotates half of each head ([8,12,12] of 64); this keeps the shape.
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0,
                                "partial_rotary_factor": 0.5, "mrope_section": [1, 1, 2]},
        },
        vision_config={
            "depth": 2, "hidden_size": 32, "num_heads": 2, "intermediate_size": 64,
            "out_hidden_size": hidden, "patch_size": 14, "spatial_merge_size": 2,
            "temporal_patch_size": 2, "image_size": 112,
        },
        image_token_id=ids["<|image|>"], video_token_id=ids["<|video|>"],
        image_start_token_id=ids["<|begin_of_image|>"], image_end_token_id=ids["<|end_of_image|>"],
        video_start_token_id=ids["<|begin_of_video|>"], video_end_token_id=ids["<|end_of_video|>"],
    )
    torch.manual_seed(seed)
    model = Glm4vForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig(
        eos_token_id=[ids[t] for t in STOP_TOKENS], pad_token_id=ids["<|endoftext|>"], do_sample=False)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    processor = Glm4vImageProcessorPil(size={"shortest_edge": 112 * 112, "longest_edge": TINY_MAX_PIXELS})
    processor.save_pretrained(folder)
    return folder


def teach_reply(folder: str | Path, out: str | Path, examples: list[tuple[dict, list[int]]],
                scale: float = 50.0) -> Path:
    """Make the checkpoint in ``folder`` answer each example's inputs with exactly its reply
    token ids under greedy decoding, and save it to ``out``.

    Rather than training, the output layer is solved in closed form: one teacher-forced pass
    collects the hidden state before every reply token, and ``lm_head`` is set so that each
    of those states scores its next token ``scale`` and every other token 0. The rest of the
    network stays random. It needs no more reply tokens than the model's hidden size.
    """
    import torch
    from transformers import Glm4vForConditionalGeneration

    model = Glm4vForConditionalGeneration.from_pretrained(folder, local_files_only=True, dtype=torch.float32).eval()
    captured: list[torch.Tensor] = []
    hook = model.lm_head.register_forward_hook(lambda module, args, output: captured.append(args[0].detach()))
    states, targets = [], []
    try:
        with torch.no_grad():
            for inputs, reply_ids in examples:
                target = torch.tensor([reply_ids], dtype=torch.long)
                prompt_len = inputs["input_ids"].shape[1]
                batch = dict(inputs)
                batch["input_ids"] = torch.cat([inputs["input_ids"], target], dim=1)
                batch["attention_mask"] = torch.ones_like(batch["input_ids"])
                batch["mm_token_type_ids"] = torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(target)], dim=1)
                captured.clear()
                model(**batch)
                # The state at position i predicts token i + 1.
                states.append(captured[-1][0, prompt_len - 1:-1])
                targets.extend(reply_ids)
    finally:
        hook.remove()
    hidden = torch.cat(states).double()
    if hidden.shape[0] > hidden.shape[1]:
        raise ValueError(f"{hidden.shape[0]} reply tokens do not fit a hidden size of {hidden.shape[1]}")
    wanted = torch.zeros(hidden.shape[0], model.lm_head.out_features, dtype=torch.float64)
    wanted[torch.arange(len(targets)), torch.tensor(targets)] = scale
    weight = (torch.linalg.pinv(hidden) @ wanted).T
    with torch.no_grad():
        model.lm_head.weight.copy_(weight.float())
    predicted = (hidden.float() @ model.lm_head.weight.T).argmax(-1)
    if predicted.tolist() != targets:
        raise RuntimeError("the replies could not be set: two reply positions have the same hidden state")
    out = Path(out)
    model.save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "preprocessor_config.json",
                 "special_tokens_map.json", "generation_config.json"):
        source = Path(folder) / name
        if source.exists():
            (out / name).write_bytes(source.read_bytes())
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m autoagent.policy.tiny FOLDER", file=sys.stderr)
        return 2
    folder = build_tiny_glm(args[0])
    print(json.dumps({"checkpoint": str(folder)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
