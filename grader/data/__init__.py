"""Data sets of the hidden suites, loaded in the trusted process only.

A suite sends the student's process the training part of a split (and the test inputs);
the test labels stay here, where the accuracy is computed.

    from grader.data import mnist_split
    split = mnist_split(seed=0, test_fraction=0.2)   # Split(x_train, y_train, x_test, y_test)

Images are float32 in [0, 1], one flattened 28x28 image per row; labels are int64.
"""
from grader.data.cache import DataError, data_dir, sha256_file, verify_sha256
from grader.data.mnist import (MNIST_FILES, MNIST_MIRRORS, download_mnist, load_mnist,
                               mnist_split, read_idx, small_mnist)
from grader.data.perturb import perturb_images
from grader.data.split import Split, stratified_split

__all__ = ["Split", "stratified_split", "mnist_split", "small_mnist", "load_mnist",
           "download_mnist", "read_idx", "MNIST_FILES", "MNIST_MIRRORS", "DataError",
           "data_dir", "sha256_file", "verify_sha256", "perturb_images"]
