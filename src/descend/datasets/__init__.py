"""Data sets, generated, bundled or read from disk; nothing is downloaded.

Every loader returns ``(X, y)`` in scikit-learn's layout: ``X.shape ==
(n_samples, n_features)`` of floats and ``y.shape == (n_samples,)`` of integer
class labels. (The textbook's ``load_dataset`` transposes to columns.)

=================  ====================================================
name               source
=================  ====================================================
``moons``          two interleaving half circles (scikit-learn), seeded
``circles``        a small circle inside a large one (scikit-learn), seeded
``spirals``        two interleaved spiral arms (written here), seeded
``iris``           scikit-learn's bundled copy: 150 x 4, 3 classes
``wine``           scikit-learn's bundled copy: 178 x 13, 3 classes
``breast_cancer``  scikit-learn's bundled copy: 569 x 30, 2 classes
``digits``         scikit-learn's bundled 8x8 digits: 1797 x 64, 10 classes
``fashion_mnist``  Zalando's 28x28 clothes images from IDX files: 60000
                   train + 10000 test, 784 features in [0, 1], 10 classes
=================  ====================================================

plus any ``.csv`` file (delimiter detected, header row optional; the label is
the last column or the column named ``target``) or ``.npz`` archive (arrays
``X`` and ``y``) given by path; labels must be classes (integers or words).
:func:`load` dispatches on a name or a path, :func:`load_train_test` also
splits off the held-out examples (the files' own test split for Fashion-MNIST,
:func:`train_test_split` for the others).

Features are standardised with statistics of the training split only
(:class:`Standardizer`, :func:`standardize`), so that nothing about the
held-out examples leaks into training.

scikit-learn is imported only by the loaders that need it. The code sits in
:mod:`.generated` (moons, circles, spirals), :mod:`.files` (bundled sets, IDX),
:mod:`.tables` (CSV and NPZ, with labels for training or without for
predicting: :func:`load_features`) and :mod:`.split` (splitting, scaling,
:func:`load` by name); every public name is re-exported here.
"""

from .files import (
    FASHION_MNIST_DIR,
    FASHION_MNIST_FILES,
    DataNotFoundError,
    breast_cancer,
    digits,
    fashion_mnist,
    iris,
    read_idx,
    wine,
)
from .generated import circles, moons, spirals
from .split import NAMES, Standardizer, load, load_train_test, standardize, train_test_split
from .tables import load_csv, load_features, load_npz

__all__ = [
    "FASHION_MNIST_DIR",
    "FASHION_MNIST_FILES",
    "NAMES",
    "DataNotFoundError",
    "Standardizer",
    "breast_cancer",
    "circles",
    "digits",
    "fashion_mnist",
    "iris",
    "load",
    "load_csv",
    "load_features",
    "load_npz",
    "load_train_test",
    "moons",
    "read_idx",
    "spirals",
    "standardize",
    "train_test_split",
    "wine",
]
