"""Screenshots as the model sees them: resized to its pixel budget, then encoded.

Both engines size images with GLM-4.1V's own rule. The local engine resamples exactly as
the processor does. The served engine shrinks only images well above the budget (to save
bandwidth) and otherwise sends the screen as captured: the server's processor then makes
the final small trim itself, with its own filter, which is both cheaper for the agent and
truer to what the model was trained on than a second resampling on our side.
"""

from __future__ import annotations

import base64
import io
import math

from PIL import Image

# GLM-4.1V's vision tower: 14-pixel patches merged 2x2, so sides are multiples of 28.
PATCH_FACTOR = 28
# Images pass through the video path as two identical frames: the budget covers both.
TEMPORAL_FACTOR = 2
# The value the AutoGLM deployment guides give vLLM (--mm-processor-kwargs max_pixels).
DEFAULT_MAX_PIXELS = 5_000_000
MIN_PIXELS = 112 * 112
# The served engine leaves the trim to the server when the model keeps at least this share
# of the screen's pixels (a 1080x2400 phone screen keeps 94% at the default budget).
SERVER_TRIM_SHARE = 0.8
# One vision token per merged 28x28 block.
PIXELS_PER_TOKEN = PATCH_FACTOR * PATCH_FACTOR


def target_size(width: int, height: int, max_pixels: int = DEFAULT_MAX_PIXELS,
                min_pixels: int = MIN_PIXELS, factor: int = PATCH_FACTOR) -> tuple[int, int]:
    """The (width, height) GLM-4.1V's processor resizes a ``width`` x ``height`` image to."""
    if width <= 0 or height <= 0:
        raise ValueError(f"an image needs a positive size, got {width}x{height}")
    if max(width, height) / min(width, height) > 200:
        raise ValueError(f"the image is too thin to show the model: {width}x{height}")
    if height < factor or width < factor:
        scale = max(factor / height, factor / width)
        height, width = int(height * scale), int(width * scale)
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if TEMPORAL_FACTOR * h_bar * w_bar > max_pixels:
        beta = math.sqrt(TEMPORAL_FACTOR * height * width / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif TEMPORAL_FACTOR * h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (TEMPORAL_FACTOR * height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return w_bar, h_bar


def fit_image(image: Image.Image, max_pixels: int = DEFAULT_MAX_PIXELS, exact: bool = False) -> Image.Image:
    """Resize to the model's budget (a no-op when the size already fits).

    ``exact=True`` resamples with Pillow's bicubic filter, the one GLM-4.1V's image
    processor uses, so a local engine hands its processor the very pixels the processor
    would have made. Without it (the served engine) an image the model keeps most of is
    returned as is, for the server to trim; larger ones are shrunk with OpenCV's bicubic,
    a seventh of Pillow's time (benchmarks/bench_loop.py).
    """
    size = target_size(image.width, image.height, max_pixels)
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if size == rgb.size:
        return rgb
    if exact:
        return rgb.resize(size, Image.Resampling.BICUBIC)
    if size[0] * size[1] >= SERVER_TRIM_SHARE * rgb.width * rgb.height:
        return rgb
    import cv2
    import numpy as np

    return Image.fromarray(cv2.resize(np.asarray(rgb), size, interpolation=cv2.INTER_CUBIC))


def image_tokens(width: int, height: int) -> int:
    """Vision tokens a fitted image costs in the context."""
    return max(1, (width * height) // PIXELS_PER_TOKEN)


def encode_image(image: Image.Image, fmt: str = "jpeg", quality: int = 90) -> str:
    """A data URL for an OpenAI image part.

    JPEG by default: for a 1080x2400 screen it encodes several times faster than PNG and
    the request is smaller; see benchmarks/bench_policy.py for the numbers.
    """
    buffer = io.BytesIO()
    fmt = fmt.lower()
    if fmt in ("jpeg", "jpg"):
        image.save(buffer, format="JPEG", quality=quality)
        mime = "image/jpeg"
    elif fmt == "png":
        # Level 1: most of the size win of PNG at a fraction of the default level's time.
        image.save(buffer, format="PNG", compress_level=1)
        mime = "image/png"
    else:
        raise ValueError(f"unknown image format {fmt!r}: use 'jpeg' or 'png'")
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"
