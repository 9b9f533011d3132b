"""Realistic mistakes in tf_basics.py; `grader validate 05_tensorflow_basics` shows that each
loses points."""
from grader.mutants import Mutant

MUTANTS = [
    Mutant("to_tensor keeps the dtype", "no cast to float32",
           replace=[("return tf.cast(tf.convert_to_tensor(array), tf.float32)",
                     "return tf.convert_to_tensor(array)")]),
    Mutant("gradient by hand", "the derivative written out instead of a tape",
           replace=[("""    with tf.GradientTape() as tape:
        tape.watch(x)
        f = tf.reduce_mean(tf.sqrt(x ** 2 + 1))
    return tape.gradient(f, x)""", """    n = tf.cast(tf.size(x), x.dtype)
    return x / (n * tf.sqrt(x ** 2 + 1))""")]),
    Mutant("fit_line adds the gradient", "assign_add instead of assign_sub on w",
           replace=[("w.assign_sub(lr * dw)", "w.assign_add(lr * dw)")]),
    Mutant("no hidden activation", "Dense hidden layers without relu",
           replace=[('model.add(keras.layers.Dense(size, activation="relu"))',
                     "model.add(keras.layers.Dense(size))")]),
    Mutant("softmax on the logits", "a softmax output layer with from_logits=True in the loss",
           replace=[("    model.add(keras.layers.Dense(out_features))",
                     '    model.add(keras.layers.Dense(out_features, activation="softmax"))')]),
    Mutant("unseeded shuffle", "np.random.default_rng() without the seed",
           replace=[("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()")]),
    Mutant("no shuffle", "the samples in the same order every epoch",
           replace=[("order = rng.permutation(len(X))", "order = np.arange(len(X))")]),
    Mutant("mean of the batch means", "each batch counts the same, whatever its size",
           replace=[("total += float(loss) * len(idx)", "total += float(loss) * batch_size")]),
    Mutant("optimizer on the last layer only", "the hidden layers never learn",
           replace=[("grads = tape.gradient(loss, model.trainable_variables)\n            optimizer.apply_gradients(zip(grads, model.trainable_variables))",
                     "grads = tape.gradient(loss, model.trainable_variables[-2:])\n            optimizer.apply_gradients(zip(grads, model.trainable_variables[-2:]))")]),
    Mutant("train ignores lr", "Adam's default learning rate",
           replace=[("optimizer = keras.optimizers.Adam(learning_rate=lr)", "optimizer = keras.optimizers.Adam()")]),
]
