"""One tiling function and one PNG encoder (helpers.viz.images)."""

import io

import numpy as np
import pytest
from matplotlib import image as mpimg
from PIL import Image

from helpers.viz import images


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_tile_makes_a_padded_mosaic():
    imgs = np.arange(6 * 2 * 3, dtype=np.uint8).reshape(6, 2, 3)
    m = images.tile(imgs, ncols=4, pad=1)
    assert m.shape == (2 * 3 + 1, 4 * 4 + 1) and m.dtype == np.uint8
    np.testing.assert_array_equal(m[1:3, 1:4], imgs[0])
    np.testing.assert_array_equal(m[4:6, 1:4], imgs[4])
    assert m[0].sum() == 0 and m[4:6, 9:12].sum() == 0  # padding and the empty 8th place stay 0
    with pytest.raises(ValueError, match=r"images must have shape \(n, h, w\)"):
        images.tile(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="ncols must be a positive integer, got 0"):
        images.tile(imgs, ncols=0)
    with pytest.raises(ValueError, match="pad must be a non-negative integer, got -1"):
        images.tile(imgs, pad=-1)


def test_tile_edge_to_edge_keeps_or_shrinks_the_columns():
    imgs = np.arange(1, 5 * 2 * 2 + 1, dtype=np.uint8).reshape(5, 2, 2)
    full = images.tile(imgs, ncols=8, shrink=False)  # the CLI's grid: always ncols cells wide, blanks black
    assert full.shape == (2, 16) and full[:, 10:].sum() == 0
    np.testing.assert_array_equal(full[:, 4:6], imgs[2])
    short = images.tile(imgs, ncols=8)
    assert short.shape == (2, 10) and np.array_equal(short, full[:, :10])
    four = images.tile(imgs[:4], ncols=2)  # notebook 07's hstack/vstack mosaic
    np.testing.assert_array_equal(four, np.vstack([np.hstack(list(imgs[0:2])), np.hstack(list(imgs[2:4]))]))


def test_tile_frames_each_image_when_the_gap_is_twice_the_border():
    batches = [np.random.default_rng(i).random((3, 4, 5, 1)).astype(np.float32) for i in range(2)]
    # each image padded by one white pixel, the images of a batch side by side, one row per batch
    want = np.concatenate([np.concatenate([np.pad(img[..., 0], 1, constant_values=1.0) for img in b], axis=1)
                           for b in batches], axis=0)
    got = images.tile(np.concatenate(batches)[..., 0], 3, pad=2, border=1, fill=1.0)
    assert got.dtype == np.float32 and np.array_equal(got, want)


def test_encode_png_round_trips_and_rejects_bad_input():
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    png = images.encode_png(rgba)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and Image.open(io.BytesIO(png)).mode == "RGB"
    np.testing.assert_array_equal(pixels(png), rgba)
    rgba[0, 0, 3] = 10
    png = images.encode_png(rgba, compress_level=9)
    assert Image.open(io.BytesIO(png)).mode == "RGBA"
    np.testing.assert_array_equal(pixels(png), rgba)
    with pytest.raises(ValueError, match=r"rgba must be an \(H, W, 4\) uint8 array, got shape \(7, 5, 3\)"):
        images.encode_png(rgba[..., :3])
    with pytest.raises(ValueError, match=r"compress_level must be in 0\.\.9, got 10"):
        images.encode_png(rgba, compress_level=10)


def test_save_png_writes_atomically_what_it_was_given(tmp_path):
    grey = np.arange(256, dtype=np.uint8).reshape(16, 16)
    path = images.save_png(grey, tmp_path / "grey.png")
    assert path == tmp_path / "grey.png" and [p.name for p in tmp_path.iterdir()] == ["grey.png"]
    np.testing.assert_array_equal(np.asarray(Image.open(path).convert("L")), grey)
    rgba = np.random.default_rng(0).integers(0, 256, size=(3, 4, 4), dtype=np.uint8)
    np.testing.assert_array_equal(pixels(images.save_png(rgba, tmp_path / "rgba.png").read_bytes()), rgba)
    with pytest.raises(ValueError, match="image must be a uint8 array"):
        images.save_png(grey.astype(float), tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_save_png_through_a_colormap_gives_matplotlibs_pixels(tmp_path):
    grid = images.tile(np.random.default_rng(1).integers(0, 256, size=(5, 6, 6), dtype=np.uint8), 4, shrink=False)
    mpimg.imsave(tmp_path / "mpl.png", grid, cmap="gray", vmin=0, vmax=255)
    ours = images.save_png(grid, tmp_path / "ours.png", cmap="gray", vmin=0, vmax=255)
    np.testing.assert_array_equal(pixels(ours.read_bytes()), pixels((tmp_path / "mpl.png").read_bytes()))
