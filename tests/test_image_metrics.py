import math

import numpy as np
import pytest

from helpers.evaluation import image_metrics as im


def rand_images(n=3, h=28, w=28, seed=0):
    return np.random.default_rng(seed).uniform(0.0, 1.0, (n, h, w))


def ssim_brute_force(a: np.ndarray, b: np.ndarray, data_range: float) -> float:
    """SSIM of two H×W images written straight from Wang et al. (2004), one window at a time."""
    r = np.arange(11) - 5.0
    g = np.exp(-(r**2) / (2 * 1.5**2))
    win = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    values = []
    for i in range(a.shape[0] - 10):
        for j in range(a.shape[1] - 10):
            pa, pb = a[i:i + 11, j:j + 11], b[i:i + 11, j:j + 11]
            mx, my = (win * pa).sum(), (win * pb).sum()
            vx, vy = (win * (pa - mx) ** 2).sum(), (win * (pb - my) ** 2).sum()
            cxy = (win * (pa - mx) * (pb - my)).sum()
            values.append((2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
    return float(np.mean(values))


# --------------------------------------------------------------------------- MSE and PSNR


def test_mse_and_psnr_known_values():
    a = np.zeros((2, 8, 8))
    b = a + np.array([0.1, 0.01])[:, None, None]  # MSE 1e-2 and 1e-4
    np.testing.assert_allclose(im.mse(a, b, reduce=False), [1e-2, 1e-4])
    assert im.mse(a, b) == pytest.approx(0.00505)
    np.testing.assert_allclose(im.psnr(a, b, reduce=False), [20.0, 40.0])
    assert im.psnr(a, b) == pytest.approx(30.0)  # the mean of the per-image values
    assert im.psnr(a * 255, b * 255, data_range=255) == pytest.approx(30.0)  # same images in uint8 units
    assert im.psnr(a, b, data_range=2.0) == pytest.approx(30.0 + 20 * math.log10(2))


def test_mean_of_per_image_psnrs_and_psnr_of_the_pooled_mse_differ():
    a = np.zeros((2, 8, 8))
    b = a + np.array([0.1, 0.01])[:, None, None]  # per-image MSE 1e-2 and 1e-4, pooled MSE 0.00505
    assert im.psnr(a, b) == pytest.approx(30.0)  # (20 + 40) / 2
    assert im.pooled_psnr(a, b) == pytest.approx(10 * math.log10(1 / 0.00505))  # 22.97 dB
    assert im.pooled_psnr(a, b) == pytest.approx(im.psnr_from_mse(im.mse(a, b)))
    # pooled = the PSNR of the whole batch read as one big image
    assert im.pooled_psnr(a, b) == pytest.approx(im.psnr(a.reshape(16, 8), b.reshape(16, 8)))
    assert im.pooled_psnr(a * 255, b * 255, data_range=255) == pytest.approx(im.pooled_psnr(a, b))
    # the two agree when every image has the same error, and the mean is the larger otherwise (Jensen)
    same = a + 0.1
    assert im.psnr(a, same) == pytest.approx(im.pooled_psnr(a, same)) == pytest.approx(20.0)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x, y = rand_images(4, seed=int(rng.integers(1000))), rand_images(4, seed=int(rng.integers(1000)))
        y = x + rng.uniform(0.01, 0.5, (4, 1, 1)) * (y - x)
        assert im.psnr(x, y) > im.pooled_psnr(x, y)


def test_psnr_from_mse():
    assert im.psnr_from_mse(0.01) == pytest.approx(20.0) and isinstance(im.psnr_from_mse(0.01), float)
    np.testing.assert_allclose(im.psnr_from_mse(np.array([1e-2, 1e-4])), [20.0, 40.0])
    assert im.psnr_from_mse(0.0) == math.inf
    assert im.psnr_from_mse(1.0, data_range=255) == pytest.approx(20 * math.log10(255))
    for bad in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="mse_value must be finite and >= 0"):
            im.psnr_from_mse(bad)
    with pytest.raises(ValueError, match="data_range must be a finite number > 0"):
        im.psnr_from_mse(0.1, data_range=0)


def test_pooled_psnr_is_finite_where_one_image_is_exact():
    a = rand_images(2, seed=8)
    b = a.copy()
    b[1] += 0.1
    assert im.psnr(a, b) == math.inf  # one exact image makes the mean of the per-image values infinite
    assert im.pooled_psnr(a, b) == pytest.approx(10 * math.log10(1 / 0.005))


def test_psnr_of_identical_images_is_inf_and_uint8_is_accepted():
    x = (rand_images(2) * 255).astype(np.uint8)
    assert im.psnr(x, x, data_range=255) == math.inf
    y = x.astype(np.int16)
    y[0, 0, 0] = (int(y[0, 0, 0]) + 1) % 256  # one grey level off, no uint8 wrap-around in the difference
    values = im.psnr(x, y, data_range=255, reduce=False)
    assert values[1] == math.inf and values[0] == pytest.approx(10 * math.log10(255**2 * 784))


def test_channel_axis_and_single_images_are_accepted():
    a, b = rand_images(2, seed=1), rand_images(2, seed=2)
    assert im.mse(a[..., None], b) == pytest.approx(im.mse(a, b))
    assert im.ssim(a[..., None], b[..., None]) == pytest.approx(im.ssim(a, b))
    assert im.psnr(a[0], b[0]) == pytest.approx(im.psnr(a, b, reduce=False)[0])


# --------------------------------------------------------------------------- SSIM


def test_gaussian_window():
    w = im.gaussian_window()
    assert w.shape == (11,) and w.sum() == pytest.approx(1.0)
    assert w.argmax() == 5 and np.allclose(w, w[::-1])
    assert w[5] / w[6] == pytest.approx(math.exp(1 / (2 * 1.5**2)))
    for bad in (0, 4, -3, 2.0, True):
        with pytest.raises(ValueError, match="size must be an odd positive integer"):
            im.gaussian_window(bad)
    with pytest.raises(ValueError, match="sigma must be > 0, got 0"):
        im.gaussian_window(11, 0)


def test_ssim_of_identical_images_is_one():
    x = rand_images(3)
    assert im.ssim(x, x) == pytest.approx(1.0, abs=1e-12)
    assert im.ssim_map(x, x).shape == (3, 18, 18)


def test_ssim_of_constant_images_by_hand():
    # No variance anywhere: SSIM is the luminance term (2ab + C1) / (a² + b² + C1), C1 = (0.01 · range)².
    a, b = np.full((1, 12, 12), 0.5), np.full((1, 12, 12), 0.25)
    expected = (2 * 0.5 * 0.25 + 1e-4) / (0.5**2 + 0.25**2 + 1e-4)
    assert im.ssim(a, b) == pytest.approx(expected, rel=1e-12)
    assert im.ssim_map(a, b).shape == (1, 2, 2)


def test_ssim_matches_the_papers_formula_window_by_window():
    a, b = rand_images(2, 16, 19, seed=3), rand_images(2, 16, 19, seed=4)
    b = 0.6 * a + 0.4 * b  # correlated, so the structure term matters
    per_image = im.ssim(a, b, data_range=1.0, reduce=False)
    for i in range(2):
        assert per_image[i] == pytest.approx(ssim_brute_force(a[i], b[i], 1.0), rel=1e-10)


def test_ssim_invariants():
    a, b = rand_images(2, seed=5), rand_images(2, seed=6)
    assert im.ssim(a, b) == pytest.approx(im.ssim(b, a))  # symmetric
    assert im.ssim(a * 255, b * 255, data_range=255) == pytest.approx(im.ssim(a, b))  # units do not matter
    assert -1.0 <= im.ssim(a, b) < 0.1  # independent noise: almost no structure in common
    noisy = [np.clip(a + s * np.random.default_rng(7).standard_normal(a.shape), 0, 1) for s in (0.02, 0.1, 0.3)]
    scores = [im.ssim(a, n) for n in noisy]
    assert scores[0] > scores[1] > scores[2]  # more noise, less similar
    assert im.ssim(a, 1 - a) < 0  # an inverted image anti-correlates


def test_reconstruction_report():
    a = np.zeros((4, 28, 28))
    b = a + 0.1
    report = im.reconstruction_report(a, b[..., None])
    assert report["n"] == 4 and report["mse"] == pytest.approx(0.01) and report["psnr"] == pytest.approx(20.0)
    assert report["pooled_psnr"] == pytest.approx(20.0)
    assert report["ssim"] == pytest.approx(1e-4 / (0.01 + 1e-4))
    b[0] += 0.1  # errors 0.04, 0.01, 0.01, 0.01: the mean of the per-image PSNRs exceeds the pooled one
    report = im.reconstruction_report(a, b)
    assert report["psnr"] == pytest.approx((10 * math.log10(25) + 60) / 4)
    assert report["pooled_psnr"] == pytest.approx(10 * math.log10(1 / 0.0175))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("fn", [im.mse, im.psnr, im.pooled_psnr, im.ssim, im.ssim_map, im.reconstruction_report])
def test_bad_images_raise_value_error(fn):
    a = rand_images(2)
    with pytest.raises(ValueError, match=r"same shape, got \(2, 28, 28\) and \(2, 28, 27\)"):
        fn(a, a[:, :, :27])
    with pytest.raises(ValueError, match=r"H×W, N×H×W or N×H×W×1.*got \(2, 28, 28, 3\)"):
        fn(np.zeros((2, 28, 28, 3)), np.zeros((2, 28, 28, 3)))
    with pytest.raises(ValueError, match="N >= 1"):
        fn(np.zeros((0, 28, 28)), np.zeros((0, 28, 28)))
    bad = a.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        fn(a, bad)
    with pytest.raises(ValueError, match="numeric"):
        fn(np.full((1, 28, 28), "x"), np.full((1, 28, 28), "y"))


@pytest.mark.parametrize("fn", [im.psnr, im.pooled_psnr, im.ssim, im.ssim_map, im.reconstruction_report])
@pytest.mark.parametrize("bad", [0, -1.0, math.inf, math.nan, True, "1"])
def test_bad_data_range(fn, bad):
    a = rand_images(1)
    with pytest.raises(ValueError, match="data_range must be a finite number > 0"):
        fn(a, a, data_range=bad)


def test_ssim_needs_eleven_pixels():
    with pytest.raises(ValueError, match="at least 11×11 pixels, got 10×28"):
        im.ssim(np.zeros((1, 10, 28)), np.zeros((1, 10, 28)))
