"""Every Keras model of the series (layer ``models``: imports Keras and helpers' checks, config and data only).

* :mod:`~helpers.models.gan`: the articles' MLP GAN, the DCGAN, a deliberately collapsed generator;
* :mod:`~helpers.models.autoencoder`: dense and convolutional autoencoders, the VAE, the articles' decoder;
* :mod:`~helpers.models.classifier`: a small CNN, softmax regression, the judge's CNN;
* :mod:`~helpers.models.score`: the 2-D score network, the small U-Net of the diffusion model, the latent MLP denoiser;
* :mod:`~helpers.models.shapes`: the image shape and the build-time shape check they share.

A new model goes in the module of its family. ``models.build_gan`` etc. are imported on first use.
"""

from helpers._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "shapes": ("IMAGE_SHAPE", "NUM_CLASSES", "FEATURE_DIM", "expect_shape"),
    "gan": ("ARCHS", "build_mlp_generator", "build_mlp_discriminator", "build_dcgan_generator",
            "build_dcgan_discriminator", "build_gan", "NearestAnchor", "collapse_generator"),
    "classifier": ("build_classifier", "build_linear_classifier", "build_judge_model"),
    "autoencoder": ("build_dense_encoder", "build_dense_decoder", "build_article_decoder", "build_conv_encoder",
                    "build_conv_decoder", "build_autoencoder"),
    "score": ("SinusoidalEmbedding", "build_toy_score_model", "build_unet", "build_latent_denoiser"),
})
