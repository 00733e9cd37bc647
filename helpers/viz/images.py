"""Images as arrays: one tiling function and one PNG encoder.

* :func:`tile` lays ``n`` images of one size out in a grid, with optional gaps and a border: the sample
  mosaics of notebooks 05 and 07, the rows of notebook 08's reconstruction widget and the CLI's sample grid
  are all calls of it.
* :func:`encode_png` turns an RGBA array into PNG bytes quickly (what a widget sends on every slider move);
  :func:`save_png` writes a grey, RGB or RGBA ``uint8`` image to a file with it, atomically.
"""

from __future__ import annotations

import os
import struct
import uuid
import zlib
from pathlib import Path

import numpy as np

from ..checks import non_negative_int, positive_int

#: zlib level of the PNGs an explorer sends: 1 is the fastest that still compresses a plot ~12x (800x350 px: ~70 kB)
PNG_COMPRESS_LEVEL = 1


def tile(images, ncols: int = 8, *, pad: int = 0, border: int | None = None, fill=0, shrink: bool = True) -> np.ndarray:
    """Tile images ``(n, h, w)`` into one picture of ``ceil(n / ncols)`` rows and ``ncols`` columns, row by row.

    ``pad`` pixels separate neighbouring images and ``border`` pixels (``pad`` by default) surround the
    whole; gaps, border and empty cells are ``fill``. With ``shrink`` (the default) a short batch takes
    ``min(ncols, n)`` columns; ``shrink=False`` keeps ``ncols`` columns, empty cells at the end. The
    picture has the images' dtype.

    * ``tile(x, ncols, pad=1)``: a mosaic with 1-pixel black lines between and around the images;
    * ``tile(x, ncols)``: the images edge to edge (``shrink=False``: always ``ncols`` cells wide);
    * ``tile(np.concatenate(batches)[..., 0], len(batches[0]), pad=2, border=1, fill=1.0)``: one row per batch
      of ``N×28×28×1`` floats in [0, 1], each image framed by a white pixel.
    """
    images = np.asarray(images)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images must have shape (n, h, w) with n >= 1, got {images.shape}")
    ncols = positive_int("ncols", ncols)
    pad = non_negative_int("pad", pad)
    border = pad if border is None else non_negative_int("border", border)
    n, h, w = images.shape
    if shrink:
        ncols = min(ncols, n)
    nrows = -(-n // ncols)
    out = np.full((nrows * (h + pad) - pad + 2 * border, ncols * (w + pad) - pad + 2 * border), fill,
                  dtype=images.dtype)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        top, left = border + r * (h + pad), border + c * (w + pad)
        out[top:top + h, left:left + w] = img
    return out


def encode_png(rgba: np.ndarray, compress_level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """PNG bytes of an (H, W, 4) uint8 RGBA image, quickly: no row filters, RGB when it is opaque.

    Plots are mostly flat colour, so unfiltered rows at zlib level 1 compress about as well as
    matplotlib's PNG (adaptive filters, level 6) at a fraction of its time.
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"rgba must be an (H, W, 4) uint8 array, got shape {rgba.shape} and dtype {rgba.dtype}")
    if not 0 <= compress_level <= 9:
        raise ValueError(f"compress_level must be in 0..9, got {compress_level}")
    opaque = bool(rgba[..., 3].min() == 255)
    pixels = rgba[..., :3] if opaque else rgba
    height, width, channels = pixels.shape
    raw = np.zeros((height, 1 + width * channels), dtype=np.uint8)  # each row: filter type 0 (none), then the pixels
    raw[:, 1:] = pixels.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2 if opaque else 6, 0, 0, 0)
    return b"".join([b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", header),
                     _png_chunk(b"IDAT", zlib.compress(raw.data, compress_level)), _png_chunk(b"IEND", b"")])


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def save_png(image, path, *, cmap: str | None = None, vmin: float | None = None, vmax: float | None = None,
             compress_level: int = 6) -> Path:
    """Write an image to ``path`` as a PNG, atomically; returns the path.

    Without ``cmap``: a ``uint8`` image, grey ``(H, W)``, RGB ``(H, W, 3)`` or RGBA ``(H, W, 4)``, stored as it is.
    With ``cmap``: a 2-D array mapped through the matplotlib colormap between ``vmin`` and ``vmax``, to the
    pixels ``matplotlib.image.imsave(path, image, cmap=cmap, vmin=vmin, vmax=vmax)`` writes (for ``cmap="gray"``
    these are not exactly the grey levels of a ``uint8`` image: matplotlib maps some one level darker).

    Encoded by :func:`encode_png` (an opaque image is stored as RGB), written to a temporary file in the same
    folder, then renamed over ``path``, so that a reader never sees half a file.
    """
    image = np.asarray(image)
    if cmap is not None:
        if image.ndim != 2:
            raise ValueError(f"image must be a 2-D array to map through cmap={cmap!r}, got shape {image.shape}")
        from matplotlib.cm import ScalarMappable

        mappable = ScalarMappable(cmap=cmap)
        mappable.set_clim(vmin, vmax)
        image = np.asarray(mappable.to_rgba(image, bytes=True))
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise ValueError(f"image must be a uint8 array (H, W), (H, W, 3) or (H, W, 4), got shape {image.shape} "
                         f"and dtype {image.dtype}")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 3:
        image = np.concatenate([image, np.full((*image.shape[:2], 1), 255, np.uint8)], axis=2)
    data = encode_png(image, compress_level)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")  # the umask's permissions
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
