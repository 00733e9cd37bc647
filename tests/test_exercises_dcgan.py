"""Notebook 07's exercises: the expected answers agree with the package and Keras' own rules, named mistakes
say what went wrong, and wrong answers no mistake names still get a guiding message."""

import numpy as np

from helpers.evaluation import class_coverage, frechet_distance_from_stats, slerp
from helpers.exercises import dcgan
from helpers.exercises.core import check


def test_07_1_output_sizes_follow_keras_and_the_generator():
    # Keras: "same" gives n·s; "valid" gives n·s + max(k − s, 0), i.e. (n − 1)·s + k when k >= s
    for n, kernel, stride, padding in dcgan._cases_07_1():
        keras_rule = n * stride if padding == "same" else n * stride + max(kernel - stride, 0)
        assert np.array_equal(dcgan.solution_07_1(n, kernel, stride, padding), keras_rule)
    assert dcgan.solution_07_1(np.array([7, 7, 14]), 5, 2, "same").tolist() == [14, 14, 28]   # section 1: 7 → 14 → 28


def test_07_1_names_the_mistake_and_guides_an_unknown_one():
    assert "forward convolution" in check("07.1", dcgan._forward_07_1).message
    assert "17, not 14" in check("07.1", lambda n, kernel, stride, padding: n * stride).message
    # "valid" right, "same" off by one stamp: no named mistake, a case where it differs
    off = check("07.1", lambda n, kernel, stride, padding: (n - 1) * stride + kernel)
    assert off.mistake is None and "padding 'same'" in off.message and "yours gives" in off.message
    scalar = check("07.1", lambda n, kernel, stride, padding: int(n[0]) * stride)
    assert scalar.mistake is None and "shape" in scalar.message


def test_07_2_is_what_keras_counts_and_stride_mistakes_are_guided():
    assert dcgan._check_07_2(4_864)
    assert "bias" in check("07.2", 4_800).message
    assert "grayscale" in check("07.2", 1_664).message
    wrong = check("07.2", 4_864 // 4)   # divided by the stride squared: not a named mistake
    assert wrong.mistake is None and "stride" in wrong.message


def test_07_3_agrees_with_the_judges_formula():
    value = frechet_distance_from_stats(dcgan.MU_G_07_3, np.diag(dcgan.VAR_G_07_3),
                                        dcgan.MU_R_07_3, np.diag(dcgan.VAR_R_07_3))
    assert np.isclose(value, 6.25) and check("07.3", value).correct
    assert "square root" in check("07.3", 2.75).message
    unknown = check("07.3", 7.0)
    assert unknown.mistake is None and "per feature" in unknown.message


def test_07_4_the_unsure_collapse_reads_ten_classes_of_coverage_and_one_class_seen():
    probs = np.tile(np.full(10, 0.1) + np.r_[0.01, np.zeros(9)] - 0.001, (50, 1))
    probs /= probs.sum(axis=1, keepdims=True)
    assert class_coverage(probs) > 9.9 and len(set(probs.argmax(axis=1))) == 1   # answer "b"
    assert check("07.4", " B ").correct
    assert "exp H" in check("07.4", "a").message
    assert check("07.4", "e").message.startswith('answer one of "a"')
    assert "other way round" in check("07.4", "d").message


def test_07_5_agrees_with_the_package_and_guides_an_unknown_mistake():
    for z0, z1, t in dcgan._cases_07_5():
        assert np.allclose(dcgan.solution_07_5(z0, z1, t), slerp(z0, z1, t))
    assert "normalised" in check("07.5", dcgan._unnormalised_07_5).message
    # weights in degrees: not a named mistake, the message gives a point where it differs
    def in_degrees(z0, z1, t):
        omega = np.degrees(np.arccos(z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1))))
        return (np.sin((1 - t)[:, None] * omega) * z0 + np.sin(t[:, None] * omega) * z1) / np.sin(omega)

    wrong = check("07.5", in_degrees)
    assert wrong.mistake is None and "at t = " in wrong.message and "endpoints are right" in wrong.message
    shifted = check("07.5", lambda z0, z1, t: dcgan.solution_07_5(z0, z1, t) + 1.0)
    assert shifted.mistake is None and "Check the endpoints first" in shifted.message
