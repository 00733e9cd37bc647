"""The image-correction lab: noise, masks, the two panels, the cached lab, the view and its sliders (tiny models)."""

import ipywidgets as W
import keras
import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.viz.scenes import View
from helpers.widgets import reconstruction as rw


@pytest.fixture(scope="module")
def decoder():
    """A tiny frozen decoder: 4 numbers → 784 sigmoid pixels → 28×28×1."""
    keras.utils.set_random_seed(0)
    z = keras.Input((4,))
    x = keras.layers.Dense(784, activation="sigmoid")(z)
    return keras.Model(z, keras.layers.Reshape((28, 28, 1))(x))


@pytest.fixture(scope="module")
def digits(decoder):
    """Images the decoder can make exactly (so the hole can be recovered): decoder(z) for 3 known codes."""
    z = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32) * 2
    return keras.ops.convert_to_numpy(decoder(z))


def blur(x):
    """A crude denoiser: the mean of each pixel and its four neighbours."""
    x = np.asarray(x)
    return (x + np.roll(x, 1, 1) + np.roll(x, -1, 1) + np.roll(x, 1, 2) + np.roll(x, -1, 2)) / 5


class Counting:
    """A denoiser that counts its calls."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, x):
        self.calls += 1
        return self.fn(x)


@pytest.fixture(scope="module")
def lab(decoder, digits):
    return rw.ReconstructionLab(Counting(blur), decoder, digits, steps=40)


# --------------------------------------------------------------------------- damage


def test_add_noise_uses_one_draw_for_every_level(digits):
    x = np.full((2, 28, 28, 1), 0.5, np.float32)
    np.testing.assert_array_equal(rw.add_noise(x, 0.0), x)
    small, large = rw.add_noise(x, 0.01, seed=3) - x, rw.add_noise(x, 0.02, seed=3) - x  # no clipping at 0.5 ± 0.1
    np.testing.assert_allclose(large, 2 * small, atol=1e-6)
    assert not np.allclose(rw.add_noise(x, 0.01, seed=4) - x, small)
    noisy = rw.add_noise(digits[..., 0], 3.0)  # N×28×28 accepted
    assert noisy.shape == (3, 28, 28, 1) and noisy.dtype == np.float32 and noisy.min() == 0 and noisy.max() == 1


@pytest.mark.parametrize("args,match", [
    ((np.zeros((2, 28, 28)), -0.1), r"noise_std must be a number in \[0, 10\], got -0.1"),
    ((np.zeros((2, 28, 28)), float("nan")), r"noise_std must be a number in \[0, 10\]"),
    ((np.zeros((2, 27, 28)), 0.1),
     r"images must have shape \(n, 28, 28\) or \(n, 28, 28, 1\) with n >= 1, got \(2, 27, 28\)"),
    ((np.full((1, 28, 28), 255.0), 0.1), r"images must be finite floats in \[0, 1\]"),
])
def test_add_noise_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        rw.add_noise(*args)
    with pytest.raises(ValueError, match=r"seed must be a non-negative integer, got -1"):
        rw.add_noise(np.zeros((1, 28, 28)), 0.1, seed=-1)


def test_box_mask():
    m = rw.box_mask((10, 20), (4, 24))
    assert m.shape == (28, 28, 1) and m.dtype == np.float32
    assert int((m == 0).sum()) == 10 * 20 and m[15, 10, 0] == 0 and m[5, 10, 0] == 1 and m[15, 2, 0] == 1
    with pytest.raises(ValueError, match=(r"rows must be a pair \(start, stop\) of integers "
                                          r"with 0 <= start < stop <= 28, got \(20, 10\)")):
        rw.box_mask((20, 10))
    with pytest.raises(ValueError, match=r"cols must be a pair .* got \(0, 30\)"):
        rw.box_mask(cols=(0, 30))
    with pytest.raises(ValueError, match="must leave some pixels known"):
        rw.box_mask((0, 28), (0, 28))
    with pytest.raises(ValueError, match="size must be a positive integer, got 0"):
        rw.box_mask(size=0)


# --------------------------------------------------------------------------- panels


def test_denoise_panel_scores_against_the_clean_images(digits):
    same = rw.denoise_panel(lambda x: x, digits, 0.3)
    assert same["denoised_psnr"] == pytest.approx(same["noisy_psnr"])
    smooth = rw.denoise_panel(blur, digits, 0.3)
    assert smooth["denoised_psnr"] > smooth["noisy_psnr"] + 3  # averaging 5 pixels cuts the noise power ~5×
    assert smooth["noisy"].shape == smooth["denoised"].shape == smooth["clean"].shape == (3, 28, 28, 1)
    with pytest.raises(TypeError, match="denoise must be a function"):
        rw.denoise_panel(None, digits, 0.3)


def test_panel_psnrs_are_pooled_over_the_digits(digits):
    # one digit denoised exactly, the others left noisy: the mean of the per-image PSNRs would be infinite,
    # the PSNR of the pooled MSE is finite and equals 10 log10(1 / MSE) over all the digits
    def first_exact(noisy):
        out = np.array(noisy)
        out[0] = digits[0]
        return out
    p = rw.denoise_panel(first_exact, digits, 0.3)
    mse = float(np.mean((p["denoised"] - digits) ** 2))
    assert np.isfinite(p["denoised_psnr"]) and p["denoised_psnr"] == pytest.approx(10 * np.log10(1 / mse))
    assert p["noisy_psnr"] == pytest.approx(10 * np.log10(1 / float(np.mean((p["noisy"] - digits) ** 2))))


def test_inpaint_panel_fills_the_hole_and_keeps_the_known_pixels(decoder, digits):
    mask = rw.box_mask()
    p = rw.inpaint_panel(decoder, digits, mask, 0.1, steps=150)
    assert p["history"].shape == (151,) and p["history"][-1] < 0.2 * p["history"][0]  # descent on the known pixels
    np.testing.assert_array_equal(p["inpainted"] * mask, digits * mask)  # known pixels untouched
    assert p["hole_psnr"] > p["masked_hole_psnr"] + 5  # the decoder's guess beats the blank hole
    assert p["known_error"] == pytest.approx(p["history"][-1], rel=1e-5)
    hole = mask[..., 0] == 0
    hole_mse = float(np.mean((p["inpainted"][:, hole] - digits[:, hole]) ** 2))
    assert p["hole_psnr"] == pytest.approx(10 * np.log10(1 / hole_mse))  # pooled over the hole's pixels
    assert p["masked_hole_psnr"] == pytest.approx(10 * np.log10(1 / float(np.mean(digits[:, hole] ** 2))))
    with pytest.raises(ValueError, match=r"learning_rate must be a number in \(0, 10\], got 0"):
        rw.inpaint_panel(decoder, digits, mask, 0)
    with pytest.raises(ValueError, match=r"mask must be a 28×28\(×1\) array of 0 \(unknown\) and 1 \(known\)"):
        rw.inpaint_panel(decoder, digits, np.ones((28, 28)), 0.1)
    with pytest.raises(ValueError, match="steps must be a positive integer, got 0"):
        rw.inpaint_panel(decoder, digits, mask, 0.1, steps=0)


# --------------------------------------------------------------------------- lab, view, explorer


def test_lab_caches_each_panel(lab):
    before = lab.denoise.calls
    a = lab.denoising(0.25)
    assert lab.denoising(0.25) is a and lab.denoise.calls == before + 1
    assert lab.denoising(0.5) is not a and lab.denoise.calls == before + 2
    p = lab.inpainting(0.05)
    assert lab.inpainting(0.05) is p
    with pytest.raises(ValueError, match=r"noise_std must be a number in \[0, 1\], got 1.5"):
        lab.denoising(1.5)
    with pytest.raises(ValueError, match=r"learning_rate must be a number in \[0.001, 1\], got 5"):
        lab.inpainting(5)


def test_lab_starts_from_the_encoder_code(decoder, digits):
    codes = np.zeros((3, 4), np.float32)
    seen = []
    lab = rw.ReconstructionLab(blur, decoder, digits, encode=lambda x: seen.append(x) or codes, steps=5)
    np.testing.assert_array_equal(seen[0], digits * lab.mask)  # the encoder sees the masked digits
    assert lab.z_init is not None and lab.z_init.shape == (3, 4)
    with pytest.raises(TypeError, match="encode must be a function"):
        rw.ReconstructionLab(blur, decoder, digits, encode=3)
    with pytest.raises(TypeError, match="denoise must be a function"):
        rw.ReconstructionLab("blur", decoder, digits)


def test_view_is_a_figure_with_the_panels_numbers(lab):
    v = rw.reconstruction_view(0.25, 0.05, lab)
    assert isinstance(v, View) and isinstance(v.figure, Figure) and len(v.figure.axes) == 3
    assert v.summary["noisy_psnr"] == lab.denoising(0.25)["noisy_psnr"]
    assert v.summary["hole_psnr"] == lab.inpainting(0.05)["hole_psnr"]
    assert v._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(TypeError, match="lab must be a ReconstructionLab, got NoneType"):
        rw.reconstruction_view(0.25, 0.05, None)


def test_explorer_sliders_change_the_picture(lab):
    w = rw.reconstruction_explorer(lab, noise_std=0.2, learning_rate=0.01)
    assert "helpers-explorer" in w._dom_classes
    noise, lr = w.children[0], w.children[1]
    assert isinstance(noise, W.FloatSlider) and isinstance(lr, W.FloatLogSlider)
    assert isinstance(w.children[2], W.Image)
    png = w.image.value
    noise.value = 0.8
    assert w.result.summary["noise_std"] == 0.8 and w.image.value != png
    png = w.image.value
    lr.value = 0.1
    assert w.result.summary["learning_rate"] == pytest.approx(0.1) and w.image.value != png
    with pytest.raises(ValueError, match=r"learning_rate must be a number in \[0.001, 1\], got 2"):
        rw.reconstruction_explorer(lab, learning_rate=2)
    with pytest.raises(TypeError, match="lab must be a ReconstructionLab"):
        rw.reconstruction_explorer(object())
