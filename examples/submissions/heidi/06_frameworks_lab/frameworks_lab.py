# Example student "heidi": the TensorFlow/Keras track, in Keras 3. The grader runs Keras on
# its torch backend (KERAS_BACKEND=torch), so she imports `keras` itself, never tensorflow.
# A complete, correct solution: it should score full marks.
import numpy as np
import keras

PROBLEMS = {"iris": (4, 3), "mnist": (784, 10)}
BATCH_SIZE = 32


def build_model(problem, hidden_layers=()):
    if problem not in PROBLEMS:
        raise ValueError(f"unknown problem {problem!r}")
    n_in, n_out = PROBLEMS[problem]
    model = keras.Sequential([keras.Input(shape=(n_in,))])
    for units in hidden_layers:
        model.add(keras.layers.Dense(units, activation="relu"))
    # softmax probabilities out; the loss below is told so (from_logits=False)
    model.add(keras.layers.Dense(n_out, activation="softmax"))
    return model


def fit(model, X, y, epochs, lr):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False))
    history = model.fit(np.asarray(X, dtype="float32"), np.asarray(y), epochs=epochs,
                        batch_size=BATCH_SIZE, shuffle=True, verbose=0)
    return [float(v) for v in history.history["loss"]]


def predict(model, X):
    probabilities = model.predict(np.asarray(X, dtype="float32"), verbose=0)
    return np.argmax(probabilities, axis=1)
