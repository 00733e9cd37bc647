import keras
import numpy as np
import pytest

from helpers import models

# Parameter counts computed by hand (Dense: in·out + out; BatchNorm: 4·C of which 2·C trainable;
# Conv: k·k·in·out (+ out with a bias)). DCGAN figures match TensorFlow's tutorial summary.
#   mlp generator:      100·128+128 + 128·256+256 + 256·512+512 + 512·784+784 + 4·(128+256+512) = 583 312
#   mlp discriminator:  784·256+256 + 256·128+128 + 128+1                                       = 233 985
#   dcgan generator:    100·12544 + 4·12544 + 25·256·128 + 4·128 + 25·128·64 + 4·64 + 25·64     = 2 330 944
#   dcgan discriminator: 25·64+64 + 25·64·128+128 + 6272+1                                     = 212 865
#   classifier:         9·32+32 + 9·32·64+64 + 1600·10+10                                      = 34 826
#   linear classifier:  784·10+10                                                              = 7 850
BUILDERS = {
    "mlp_generator": (models.build_mlp_generator, 583_312, 2 * (128 + 256 + 512), (None, 100), (None, 28, 28, 1)),
    "mlp_discriminator": (models.build_mlp_discriminator, 233_985, 0, (None, 28, 28, 1), (None, 1)),
    "dcgan_generator": (models.build_dcgan_generator, 2_330_944, 2 * (12544 + 128 + 64), (None, 100),
                        (None, 28, 28, 1)),
    "dcgan_discriminator": (models.build_dcgan_discriminator, 212_865, 0, (None, 28, 28, 1), (None, 1)),
    "mnist_classifier": (models.build_classifier, 34_826, 0, (None, 28, 28, 1), (None, 10)),
    "linear_classifier": (models.build_linear_classifier, 7_850, 0, (None, 28, 28, 1), (None, 10)),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_builders_shapes_names_and_parameter_counts(name):
    build, params, non_trainable, in_shape, out_shape = BUILDERS[name]
    model = build()
    assert model.name == name
    assert tuple(model.inputs[0].shape) == in_shape and tuple(model.outputs[0].shape) == out_shape
    assert model.count_params() == params
    assert sum(int(np.prod(w.shape)) for w in model.non_trainable_weights) == non_trainable


@pytest.mark.parametrize("arch", models.ARCHS)
def test_build_gan_runs_end_to_end_in_range(arch):
    g, d = models.build_gan(arch, latent_dim=16)
    assert tuple(g.inputs[0].shape) == (None, 16)
    z = np.random.default_rng(0).standard_normal((3, 16)).astype("float32")
    images = keras.ops.convert_to_numpy(g(z, training=False))
    assert images.shape == (3, 28, 28, 1)
    assert np.all(np.abs(images) <= 1.0) and images.std() > 0  # tanh output, not constant
    logits = keras.ops.convert_to_numpy(d(images, training=False))
    assert logits.shape == (3, 1) and np.all(np.isfinite(logits))
    assert g.name.startswith(arch) and d.name.startswith(arch)


def test_build_gan_rejects_unknown_arch_and_bad_latent():
    with pytest.raises(ValueError, match=r"arch must be one of mlp, dcgan, got 'wgan'"):
        models.build_gan("wgan")
    with pytest.raises(ValueError, match=r"latent_dim must be a positive integer, got 0"):
        models.build_gan("mlp", latent_dim=0)
    with pytest.raises(ValueError, match=r"latent_dim must be a positive integer, got 2.5"):
        models.build_dcgan_generator(2.5)


def test_other_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"each hidden width must be a positive integer, got -4"):
        models.build_mlp_generator(8, hidden=(16, -4))
    with pytest.raises(ValueError, match=r"each hidden width must be a positive integer, got 0"):
        models.build_mlp_discriminator(hidden=(0,))
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.0"):
        models.build_dcgan_discriminator(dropout=1.0)
    with pytest.raises(ValueError, match=r"num_classes must be a positive integer, got 0"):
        models.build_classifier(num_classes=0)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got -0.1"):
        models.build_classifier(dropout=-0.1)
    with pytest.raises(ValueError, match="num_classes must be a positive integer, got 0"):
        models.build_linear_classifier(num_classes=0)


def test_article_layers_batchnorm_leaky_relu_and_tutorial_dropout():
    g = models.build_mlp_generator()
    kinds = [type(layer).__name__ for layer in g.layers]
    assert kinds.count("BatchNormalization") == 3 and kinds.count("LeakyReLU") == 3
    assert all(layer.negative_slope == pytest.approx(0.2) for layer in g.layers if type(layer).__name__ == "LeakyReLU")
    assert g.get_layer("pixels").activation.__name__ == "tanh"
    d = models.build_mlp_discriminator()
    assert [layer.units for layer in d.layers if type(layer).__name__ == "Dense"] == [256, 128, 1]
    assert d.get_layer("logit").activation.__name__ == "linear"  # logits, not probabilities
    dd = models.build_dcgan_discriminator()
    assert [layer.rate for layer in dd.layers if type(layer).__name__ == "Dropout"] == [0.3, 0.3]
    dg = models.build_dcgan_generator()
    assert not dg.get_layer("project").use_bias
    strides = [layer.strides for layer in dg.layers if type(layer).__name__ == "Conv2DTranspose"]
    assert strides == [(1, 1), (2, 2), (2, 2)]


def test_shape_check_names_the_layer():
    x = keras.Input(shape=(7, 7, 3))
    models.expect_shape(x, (None, 7, 7, 3), "ok")
    with pytest.raises(AssertionError,
                       match=r"block 9: expected output shape \(None, 7, 7, 4\), got \(None, 7, 7, 3\)"):
        models.expect_shape(x, (None, 7, 7, 4), "block 9")


def test_small_sizes_are_parameters():
    g = models.build_mlp_generator(8, hidden=(16, 32))
    d = models.build_mlp_discriminator(hidden=(32, 16))
    assert g.count_params() == 8 * 16 + 16 + 4 * 16 + 16 * 32 + 32 + 4 * 32 + 32 * 784 + 784
    assert d.count_params() == 784 * 32 + 32 + 32 * 16 + 16 + 16 + 1


def test_dcgan_width_scales_every_channel_count():
    # width 16: generator 100·3136 + 4·3136 + 25·64·32 + 4·32 + 25·32·16 + 4·16 + 25·16 = 390 736;
    # discriminator 25·16+16 + 25·16·32+32 + 32·49+1 = 14 817
    g, d = models.build_gan("dcgan", width=16)
    assert g.count_params() == 390_736 and d.count_params() == 14_817
    assert g.get_layer("deconv_2").filters == 16 and d.get_layer("conv_2").filters == 32
    assert tuple(g.outputs[0].shape) == (None, 28, 28, 1) and tuple(d.outputs[0].shape) == (None, 1)
    with pytest.raises(ValueError, match=r"width must be a positive integer, got 0"):
        models.build_dcgan_generator(width=0)
    with pytest.raises(ValueError, match=r"the MLP has fixed widths, got width=32"):
        models.build_gan("mlp", width=32)
