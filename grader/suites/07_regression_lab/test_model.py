"""Hidden tests of assignment 07, part 3: build_regressor, the losses of train_regressor, and
predict's mapping back to the target's units. No real training here: that is part 4."""
import numpy as np
import pytest

from grader.checks import CheckFailed, check_array, close, expect_exception
from grader.checks.properties import check_number, check_output
from grader.i18n import _, num


def outputs(model, X, what):
    """The model's outputs for X, `(N, 1)` float32, as float64 `(N,)`."""
    got = model.model_outputs(X)
    return check_output(got, (X.shape[0], 1), what=what,
                        inputs=_("an input of shape {shape} float32").format(shape=X.shape))[:, 0]


@pytest.mark.points(2)
def test_build_regressor_output_shape(student, rng):
    for D, hidden in ((10, (64,)), (3, (16, 8)), (1, (4,))):
        student.reseed(int(rng.integers(2**31)))
        model = student.build_regressor(D, hidden)
        X = rng.normal(size=(7, D)).astype(np.float32)
        outputs(model, X, _("the model of {call}").format(call=f"build_regressor({D}, {hidden})"))
    model = student.build_regressor(5)
    outputs(model, rng.normal(size=(3, 5)).astype(np.float32),
            _("the model of {call} (default hidden_sizes)").format(call="build_regressor(5)"))


@pytest.mark.points(2)
def test_build_regressor_has_a_linear_output(student, rng):
    # Inputs up to about 3000 in size drive a ReLU network's output far from 0, unless an
    # activation on the output layer squashes it (sigmoid, tanh) or cuts it (ReLU). One
    # random network may push every input to the same side; four of them (pooled) do not.
    for D, hidden in ((6, (32,)), (4, (16, 8))):
        pooled = []
        for _model in range(4):
            student.reseed(int(rng.integers(2**31)))
            model = student.build_regressor(D, hidden)
            X = (rng.normal(size=(200, D)) * 1000).astype(np.float32)
            pooled.append(outputs(model, X, _("the model of {call}").format(
                call=f"build_regressor({D}, {hidden})")))
        out = np.concatenate(pooled)
        if not (out.min() < -1.0 and out.max() > 1.0):
            raise CheckFailed(_(
                "{call}: for inputs of size up to about 3000, the outputs of four freshly built "
                "models all lie in [{low}, {high}]; a regression network needs a linear output "
                "layer (no sigmoid, tanh or ReLU after the last Linear), or it cannot predict "
                "values outside that range").format(call=f"build_regressor({D}, {hidden})",
                                                    low=num(float(out.min()), ".3g"),
                                                    high=num(float(out.max()), ".3g")))


def float_dtype(got):
    """predict's docstring asks for float64; float32 predictions are accepted as well."""
    if type(got) is np.ndarray and got.dtype in (np.float32, np.float64):
        return got.dtype
    return np.float64


def expected_loss(name, pred, y):
    r = pred - y
    if name == "mse":
        return float(np.mean(r ** 2))
    if name == "mae":
        return float(np.mean(np.abs(r)))
    a = np.abs(r)                                  # Huber, delta = 1
    return float(np.mean(np.where(a < 1.0, 0.5 * r ** 2, a - 0.5)))


@pytest.mark.points(2)
@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_train_regressor_uses_the_named_loss(student, rng, loss):
    """train_regressor computes the loss it is asked for"""
    # With lr=0 the weights never move, so every epoch's mean loss is the loss of the
    # untrained model's outputs, which we compute here. 64 samples = 2 full batches of 32.
    student.reseed(int(rng.integers(2**31)))
    model = student.build_regressor(3, (8,))
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = rng.normal(0.0, 2.0, size=64).astype(np.float32)     # errors below and above 1
    pred = outputs(model, X, _("the model of {call}").format(call="build_regressor(3, (8,))"))
    history = student.train_regressor(model, X, y, loss=loss, epochs=2, lr=0.0)
    what = f"train_regressor(model, X, y, loss={loss!r}, epochs=2, lr=0.0)"
    inputs = "X: (64, 3) float32, y: (64,) float32"
    if not isinstance(history, list) or len(history) != 2:
        got = (_("{type} of length {n}").format(type=type(history).__name__, n=len(history))
               if isinstance(history, list) else type(history).__name__)
        raise CheckFailed(_("{what} must return a list with one loss per epoch (2 here); it "
                            "returned {got}").format(what=what, got=got))
    want = expected_loss(loss, pred.astype(np.float64), y.astype(np.float64))
    for epoch, value in enumerate(history):
        got = check_number(value, what=_("{what}: the loss of epoch {epoch}").format(
            what=what, epoch=epoch), inputs=inputs)
        if not close(got, want, rtol=1e-4, atol=1e-6):
            hint = ""
            if loss != "mse" and np.isclose(got, expected_loss("mse", pred, y), rtol=1e-4):
                hint = _("; it is the mean squared error: the loss name is not used")
            elif np.isclose(got, expected_loss(loss, pred[:, None], y[None, :]), rtol=0.05):
                hint = _("; it looks like outputs (B, 1) against targets (B,): reshape the "
                         "target to (B, 1)")
            raise CheckFailed(_(
                "{what}: the loss of epoch {epoch} is not the {loss} loss of the model's outputs "
                "on (X, y) (with lr=0 the model does not change, so every epoch's mean batch "
                "loss equals it; relative error {error})").format(
                    what=what, epoch=epoch, loss=loss,
                    error=num(abs(got - want) / max(abs(want), 1e-12), ".2g")) + hint)


@pytest.mark.points(1)
def test_train_regressor_unknown_loss(student, rng):
    model = student.build_regressor(2, (4,))
    X = rng.normal(size=(8, 2)).astype(np.float32)
    y = rng.normal(size=8).astype(np.float32)
    expect_exception(lambda: student.train_regressor(model, X, y, loss="hinge", epochs=1),
                     "ValueError", what="train_regressor(model, X, y, loss='hinge')")


@pytest.mark.points(2)
def test_predict_maps_back_to_the_target_units(student, rng):
    student.reseed(int(rng.integers(2**31)))
    model = student.build_regressor(4, (8,))
    X = rng.normal(size=(30, 4)).astype(np.float32)
    out = outputs(model, X, _("the model of {call}").format(call="build_regressor(4, (8,))"))
    y_scaler = (np.float64(rng.uniform(100, 200)), np.float64(rng.uniform(30, 80)))
    inputs = "X: (30, 4) float32, y_scaler: (mean, std) of a target in the hundreds"
    got = student.predict(model, X, y_scaler)
    try:
        check_array(got, out * y_scaler[1] + y_scaler[0], what="predict(model, X, y_scaler)",
                    inputs=inputs, rtol=1e-5, atol=1e-4, dtype=float_dtype(got))
    except CheckFailed as exc:
        if isinstance(got, np.ndarray) and got.size == out.size and np.allclose(
                got.reshape(-1), out, rtol=1e-4, atol=1e-5):
            raise CheckFailed(_("{call} returned the network's scaled outputs: map them back to "
                                "the target's units with {fix}").format(
                call="predict(model, X, y_scaler)",
                fix="inverse_transform(outputs, y_scaler)")) from None
        raise exc
    got = student.predict(model, X)
    check_array(got, out, what=_("{call} without a y_scaler").format(call="predict(model, X)"),
                inputs="X: (30, 4) float32", rtol=1e-5, atol=1e-6, dtype=float_dtype(got))


@pytest.mark.points(2)
def test_predict_undoes_a_log_target(student, rng):
    student.reseed(int(rng.integers(2**31)))
    model = student.build_regressor(4, (8,))
    X = rng.normal(size=(30, 4)).astype(np.float32)
    out = outputs(model, X, _("the model of {call}").format(call="build_regressor(4, (8,))"))
    y_scaler = (np.float64(rng.uniform(2.5, 4.0)), np.float64(rng.uniform(0.5, 1.0)))
    got = student.predict(model, X, y_scaler, log_target=True)
    try:
        check_array(got, np.exp(out * y_scaler[1] + y_scaler[0]),
                    what="predict(model, X, y_scaler, log_target=True)",
                    inputs=_("X: (30, 4) float32, y_scaler: (mean, std) of log(y)"),
                    rtol=1e-5, atol=1e-6, dtype=float_dtype(got))
    except CheckFailed as exc:
        if isinstance(got, np.ndarray) and got.size == out.size and np.allclose(
                got.reshape(-1), np.exp(out) * y_scaler[1] + y_scaler[0], rtol=1e-4):
            raise CheckFailed(_("{call} applied exp before undoing the scaling: the network "
                                "learned the SCALED log of y, so first inverse_transform, then "
                                "np.exp").format(call="predict(..., log_target=True)")) from None
        raise exc
