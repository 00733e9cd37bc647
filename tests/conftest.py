"""Fixtures shared by the unit tests (tests/test_*.py).

Convention: a fixture used by two or more test files lives here, and tests ask for it by name; a plain helper
function that tests call with arguments lives in ``tests/support.py`` and is imported from there
(``from tests.support import control``). A test file may still define a fixture of the same name for a model of
its own: pytest then uses the file's fixture for that file (``test_reconstruction_widgets.py`` has its own
one-layer sigmoid ``decoder``).
"""

import pytest


@pytest.fixture(scope="module")
def decoder():
    """A small dense decoder, 4 latent numbers → 28×28×1 in [0, 1], seeded (seed 0); one per test module."""
    import keras

    from helpers.models.autoencoder import build_dense_decoder

    keras.utils.set_random_seed(0)
    return build_dense_decoder(4, (32,))
