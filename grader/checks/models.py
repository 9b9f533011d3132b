"""Checks of dense networks (a torch module or a Keras model) seen from outside the student's
process: the weights its process reports, believed only once the model's own outputs on the
grader's inputs are what those weights compute; and what a training call did to them.
"""
from __future__ import annotations

import numpy as np

from grader.checks.errors import CheckFailed, InvalidOutput
from grader.checks.numeric import close
from grader.i18n import _, ngettext, num

ACTIVATIONS = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
               "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
               "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
               "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z)}


def reported_layers(model, what) -> list[tuple[np.ndarray, np.ndarray]]:
    """The model's dense layers as (W (in, out), b) pairs, as its process reports them: a
    Keras model's get_weights(), else a torch module's parameters in registration order.
    A claim: see `explains`."""
    if model.has("get_weights"):
        arrays, orientation = model.get_weights(), "keras"
    else:
        arrays = [p.array for _name, p in model.model_state()["parameters"]]
        orientation = "torch"
    if type(arrays) not in (list, tuple) or len(arrays) % 2 or not all(
            type(a) is np.ndarray and a.dtype.kind == "f" and np.isfinite(a).all() for a in arrays):
        raise InvalidOutput(_("{what}: its weights are not pairs of a weight matrix and a "
                              "bias").format(what=what))
    layers = []
    for W, b in zip(arrays[0::2], arrays[1::2]):
        W = W.astype(np.float64)
        W = W.T if orientation == "torch" and W.ndim == 2 else W
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise CheckFailed(_("{what}: a layer has weights {weights} and bias {bias}; "
                                "expected dense layers with a bias each").format(
                what=what, weights=W.shape, bias=b.shape))
        layers.append((W, b.astype(np.float64)))
    return layers


def explains(layers, x, out) -> bool:
    """Whether outputs `out` for inputs `x` are the dense layers' (a hidden activation of
    ACTIVATIONS between them; logits, or their softmax as a Keras model may give)."""
    for act in ACTIVATIONS.values():
        h = np.asarray(x, dtype=np.float64)
        try:
            for i, (W, b) in enumerate(layers):
                h = h @ W + b
                if i < len(layers) - 1:
                    h = act(h)
        except ValueError:
            return False
        z = h - h.max(axis=1, keepdims=True)
        soft = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        if close(out, h, rtol=1e-3, atol=1e-4) or close(out, soft, rtol=1e-3, atol=1e-5):
            return True
    return False


def verified_layers(model, x, out, what) -> list[tuple[np.ndarray, np.ndarray]]:
    """The reported layers, once they explain the model's outputs `out` for inputs `x`."""
    layers = reported_layers(model, what)
    if not layers or not explains(layers, x, out):
        raise CheckFailed(_("{what}: its outputs are not those of its dense layers' weights "
                            "(a dense layer with bias for each hidden size and the output "
                            "layer, an activation between them)").format(what=what))
    return layers


def checked_outputs(model, x, n_out: int, what: str) -> np.ndarray:
    """The model's outputs for the grader's inputs x (its model_outputs), in float64, once
    they are a finite array of shape (len(x), n_out)."""
    got = model.model_outputs(x)
    if not isinstance(got, np.ndarray) or got.shape != (len(x), n_out):
        raise InvalidOutput(_("{what}: expected outputs of shape {expected}, got {got}").format(
            what=what, expected=(len(x), n_out), got=getattr(got, "shape", type(got).__name__)))
    if not np.isfinite(got).all():
        raise InvalidOutput(_("{what}: the outputs contain NaN or inf").format(what=what))
    return got.astype(np.float64)


def train_losses(history, epochs: int, what: str) -> list[float]:
    """What a `train` returned, once it is a list of `epochs` finite Python numbers (the mean
    loss of each epoch)."""
    if type(history) not in (list, tuple) or len(history) != epochs or not all(
            type(v) in (int, float) and np.isfinite(v) for v in history):
        raise InvalidOutput(_("{what}: train should return a list of {epochs} losses (Python "
                              "floats, one per epoch)").format(what=what, epochs=epochs))
    return [float(v) for v in history]


def flat(layers) -> np.ndarray:
    """Every weight and bias of (W, b) layers, in one vector."""
    return np.concatenate([a.ravel() for pair in layers for a in pair])


def adam_steps(before, after, lr: float) -> float:
    """How many Adam steps lie between two sets of layers, read from the largest change of
    one weight: Adam moves a weight by about lr per step, whatever its gradient's size (by
    exactly lr on the first step), so a weight whose gradient keeps its sign moves by k * lr
    in k steps."""
    return float(np.max(np.abs(flat(after) - flat(before)), initial=0.0)) / lr


def check_adam_steps(before, after, lr: float, n: int, what: str) -> None:
    """One epoch over n samples took one Adam step per mini-batch of 32 (ceil(n / 32)), and
    it trained every layer: Adam's first step alone moves some weight of each layer by lr,
    so a layer none of whose weights moved by half of that was left out of the optimizer."""
    frozen = [i for i, (old, new) in enumerate(zip(before, after), 1)
              if adam_steps([old], [new], lr) < 0.5]
    if frozen:
        raise CheckFailed(ngettext(
            "{what}: layer {layers} did not change; give the optimizer all of the model's "
            "parameters", "{what}: layers {layers} did not change; give the optimizer all of "
            "the model's parameters", len(frozen)).format(
                what=what, layers=", ".join(map(str, frozen))))
    steps, want = adam_steps(before, after, lr), -(-n // 32)
    if not abs(steps - want) <= 0.35:
        raise CheckFailed(_("{what}: the weights moved as {steps} Adam steps of lr would; one "
                            "epoch in mini-batches of 32 takes {expected}").format(
            what=what, steps=num(steps, ".1f"), expected=want))


def set_layers(model, layers) -> None:
    """Give a model's dense layers weights the grader chose ((W (in, out), b) pairs): Keras's
    set_weights, or a torch module's state by its parameters' names."""
    arrays = [a.astype(np.float32) for W, b in layers for a in (W, b)]
    if model.has("set_weights"):
        model.set_weights(arrays)
        return
    names = [name for name, _param in model.model_state()["parameters"]]
    if len(names) != len(arrays):
        raise CheckFailed(_("the model's parameters are not one weight and one bias per layer"))
    model.load_state({name: (a.T.copy() if a.ndim == 2 else a) for name, a in zip(names, arrays)})
