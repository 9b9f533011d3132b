"""grader.checks.gradient: a correct backward passes, and each mistake it recognises is named.

The checks take any object with forward/backward (in a suite, a proxy handle to the
student's layer) and the reference's layer of the same kind, whose forward the finite
differences are taken of; here they probe plain local layers, correct ones and buggy ones.
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput
from grader.checks.gradient import (GRAD_RTOL, LayerProbe, away_from_zero, check_gradient,
                                    numerical_gradient, relative_error)


class Linear:
    def __init__(self, nin, nout, bug=None):
        self.W = np.zeros((nout, nin))
        self.b = np.zeros((1, nout))
        self.bug = bug

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b

    def backward(self, dz):
        bug = self.bug
        self.dW = {"transposed dW": self.x.T @ dz, "dW / N": dz.T @ self.x / len(dz),
                   "dW not stored": np.zeros_like(self.W)}.get(bug, dz.T @ self.x)
        self.db = {"db without batch sum": dz, "db as mean": dz.mean(axis=0),
                   "db (nout,)": dz.sum(axis=0)}.get(bug, dz.sum(axis=0, keepdims=True))
        dx = dz @ self.W
        return -dx if bug == "wrong sign dx" else dx


class CrossEntropy:
    def __init__(self, bug=None):
        self.bug = bug

    def forward(self, p, y):
        self.p, self.y = p, y
        return -np.mean(np.log(p[np.arange(len(y)), y]))

    def backward(self, loss):
        n = len(self.y)
        dp = np.zeros_like(self.p)
        scale = 1.0 if self.bug == "missing 1/N" else n
        sign = -1.0 if self.bug == "wrong sign" else 1.0
        dp[np.arange(n), self.y] = -sign / (scale * self.p[np.arange(n), self.y])
        return dp


class Softmax:
    def __init__(self, elementwise=False):
        self.elementwise = elementwise

    def forward(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        return self.p

    def backward(self, dp):
        p = self.p
        if self.elementwise:
            return p * (1 - p) * dp
        return p * (dp - (p * dp).sum(axis=1, keepdims=True))


class Tanh:
    def __init__(self, from_input=False):
        self.from_input = from_input

    def forward(self, x):
        self.x, self.y = x, np.tanh(x)
        return self.y

    def backward(self, dy):
        return (1 - (self.x if self.from_input else self.y) ** 2) * dy


def linear_probe(bug=None, N=5, nin=4, nout=3, seed=0):
    rng = np.random.default_rng(seed)
    return LayerProbe(Linear(nin, nout, bug), Linear(nin, nout), rng.normal(size=(N, nin)), rng=rng,
                      params={"W": rng.normal(size=(nout, nin)), "b": rng.normal(size=(1, nout))},
                      name="Linear")


def test_numerical_gradient_of_a_known_function():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    grad = numerical_gradient(lambda v: float(np.sum(np.sin(v) * v)), x)
    np.testing.assert_allclose(grad, np.cos(x) * x + np.sin(x), rtol=1e-8)


def test_relative_error_compares_tiny_entries_on_the_gradients_scale():
    n = np.array([1.0, 1e-9])
    assert relative_error(n, n).max() == 0
    # an absolute error of 1e-9 on an entry 1e9 times smaller than the largest is noise
    assert relative_error(n + [0, 1e-9], n).max() <= 1e-5
    assert relative_error(n * [2.0, 1], n).max() == pytest.approx(0.5)


def test_away_from_zero_keeps_a_margin_from_the_kink():
    v = away_from_zero(np.random.default_rng(0), (50, 4), 0.1, 2.0)
    assert np.abs(v).min() >= 0.1 and np.abs(v).max() <= 2.0
    assert (v > 0).any() and (v < 0).any()


def test_a_correct_linear_layer_passes_with_a_wide_margin():
    for seed in range(5):
        p = linear_probe(seed=seed)
        errors = [p.check_dx(), p.check_param("W"), p.check_param("b")]
        assert max(errors) < GRAD_RTOL / 100


def test_db_of_shape_nout_is_accepted_where_allowed():
    p = linear_probe("db (nout,)")
    assert p.check_param("b", allow_squeeze=True) < GRAD_RTOL
    with pytest.raises(InvalidOutput, match=r"db has shape \(3,\) where \(1, 3\) is expected"):
        p.check_param("b")


def test_missing_batch_sum_in_db_is_named():
    with pytest.raises(InvalidOutput, match=r"db has shape \(5, 3\), one row per sample.*"
                                            r"sum it over the batch \(axis 0\)"):
        linear_probe("db without batch sum").check_param("b", allow_squeeze=True)


def test_transposed_dW_is_named_by_its_shape_and_by_its_values():
    with pytest.raises(InvalidOutput, match=r"dW has shape \(4, 3\) where \(3, 4\) is expected: "
                                            r"it looks transposed"):
        linear_probe("transposed dW").check_param("W")
    with pytest.raises(CheckFailed, match="dW is the transpose of the right gradient"):
        linear_probe("transposed dW", nin=3, nout=3).check_param("W")


def test_a_gradient_divided_by_the_batch_size_is_named():
    with pytest.raises(CheckFailed, match=r"dW is 5 times too small, the batch size N = 5"):
        linear_probe("dW / N").check_param("W")
    with pytest.raises(CheckFailed, match=r"db is 5 times too small.*a mean where the batch "
                                          r"needs a sum"):
        linear_probe("db as mean").check_param("b", allow_squeeze=True)


def test_wrong_sign_and_missing_gradient_are_named():
    with pytest.raises(CheckFailed, match="dx has the wrong sign"):
        linear_probe("wrong sign dx").check_dx()
    with pytest.raises(CheckFailed, match="dW is zero everywhere"):
        linear_probe("dW not stored").check_param("W")


def test_the_message_says_which_gradient_by_how_much_and_never_the_expected_values():
    with pytest.raises(CheckFailed) as info:
        linear_probe("dW / N").check_param("W", inputs="x: (5, 4) float64")
    message = str(info.value)
    assert message.startswith("Linear.backward: dW for x: (5, 4) float64: 12 of 12 entries")
    assert "the worst is at index" in message and "relative error 0.8, threshold 1e-05" in message
    assert "array" not in message and "[" not in message       # no values are printed


def cross_entropy_check(loss, N=6, C=4, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(N, C))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    y = rng.integers(0, C, size=N)
    dp = loss.backward(loss.forward(p, y))
    numeric = numerical_gradient(lambda q: loss.forward(q, y), p)
    return check_gradient(dp, numeric, what="CrossEntropyLoss.backward: dp", batch_size=N)


def test_cross_entropy_missing_1_over_N_and_wrong_sign_are_named():
    assert cross_entropy_check(CrossEntropy()) < GRAD_RTOL
    with pytest.raises(CheckFailed, match=r"dp is 6 times too large, the batch size N = 6: a "
                                          r"missing 1/N"):
        cross_entropy_check(CrossEntropy("missing 1/N"))
    with pytest.raises(CheckFailed, match="dp has the wrong sign"):
        cross_entropy_check(CrossEntropy("wrong sign"))


def test_softmax_and_cross_entropy_together():
    rng = np.random.default_rng(2)
    z, y = rng.normal(size=(5, 3)), rng.integers(0, 3, size=5)
    for sm, ok in ((Softmax(), True), (Softmax(elementwise=True), False)):
        ce = CrossEntropy()
        dz = sm.backward(ce.backward(ce.forward(sm.forward(z), y)))
        numeric = numerical_gradient(lambda q: ce.forward(sm.forward(q), y), z)
        if ok:
            assert check_gradient(dz, numeric, what="dz", batch_size=5) < GRAD_RTOL
        else:
            with pytest.raises(CheckFailed, match="5 of 15|entries disagree"):
                check_gradient(dz, numeric, what="dz", batch_size=5)


def test_known_mistakes_given_as_patterns_are_named():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 5))
    p = LayerProbe(Softmax(elementwise=True), Softmax(), x, rng=rng, name="Softmax")
    with pytest.raises(CheckFailed, match="most likely the elementwise p"):
        p.check_dx(patterns=[(p.out * (1 - p.out) * p.G, "the elementwise p * (1 - p) * dp")])
    t = LayerProbe(Tanh(from_input=True), Tanh(), x, rng=rng, name="Tanh")
    with pytest.raises(CheckFailed, match=r"most likely \(1 - x\*\*2\) \* dy"):
        t.check_dx(patterns=[((1 - x ** 2) * t.G, "(1 - x**2) * dy from the input x")])
    assert LayerProbe(Tanh(), Tanh(), x, rng=rng, name="Tanh").check_dx() < GRAD_RTOL


class Frozen(Linear):
    """Uses a copy of W made in __init__, not the W the grader sets."""

    def __init__(self):
        super().__init__(4, 3)
        self.W_used = np.ones((3, 4))

    def forward(self, x):
        self.x = x
        return x @ self.W_used.T + self.b


def test_a_forward_that_ignores_the_parameter_fails_before_its_gradient_is_trusted():
    rng = np.random.default_rng(4)
    p = LayerProbe(Frozen(), Linear(4, 3), rng.normal(size=(5, 4)), rng=rng,
                   params={"W": rng.normal(size=(3, 4)), "b": np.zeros((1, 3))}, name="Linear")
    with pytest.raises(CheckFailed, match="Linear.forward.*fix the forward first"):
        p.check_param("W")


def test_finite_differences_come_from_the_reference_not_the_student():
    """A forward that answers inputs near the probe point from a cache makes finite
    differences of itself zero; a zero backward must still fail."""
    class Caching(Linear):
        def forward(self, x):
            if getattr(self, "seen", None) is not None and np.abs(self.seen[0] - x).max() < 1e-3:
                return self.seen[1]
            out = super().forward(x)
            self.seen = (x.copy(), out.copy())
            return out

        def backward(self, dz):
            self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
            return np.zeros_like(self.x)

    rng = np.random.default_rng(6)
    p = LayerProbe(Caching(4, 3), Linear(4, 3), rng.normal(size=(5, 4)), rng=rng,
                   params={"W": rng.normal(size=(3, 4)), "b": rng.normal(size=(1, 3))},
                   name="Linear")
    for check in (p.check_dx, lambda: p.check_param("W"), lambda: p.check_param("b")):
        with pytest.raises(CheckFailed, match="is zero everywhere"):
            check()


def test_float32_and_nan_outputs_are_invalid():
    class Float32(Tanh):
        def forward(self, x):
            return super().forward(x).astype(np.float32)

    class NaN(Tanh):
        def backward(self, dy):
            return super().backward(dy) * np.nan

    x = np.random.default_rng(5).normal(size=(3, 2))
    with pytest.raises(InvalidOutput, match="float64"):
        LayerProbe(Float32(), Tanh(), x, rng=np.random.default_rng(0), name="Tanh")
    with pytest.raises(InvalidOutput, match="NaN or inf"):
        LayerProbe(NaN(), Tanh(), x, rng=np.random.default_rng(0), name="Tanh").check_dx()
    with pytest.raises(InvalidOutput, match="expected a numpy array, got a list"):
        check_gradient([1.0, 2.0], np.ones(2), what="dx")


def test_the_probe_restores_the_parameters_it_perturbs():
    p = linear_probe()
    W = p.params["W"].copy()
    p.numerical_param("W")
    np.testing.assert_array_equal(p.reference.W, W)


def test_a_saturated_gradient_is_not_failed_on_finite_difference_noise():
    """A softmax at large inputs has gradient entries ~1e-6; central differences carry an
    absolute error ~1e-10. An honest gradient must pass (it failed before the floor)."""
    from grader.checks.gradient import GRAD_RTOL, relative_error
    exact = np.array([[3e-6, -1e-6, -2e-6]])
    noisy = exact + np.array([[1e-10, -1e-10, 5e-11]])
    assert relative_error(exact, noisy).max() <= GRAD_RTOL
    # while a wrong gradient of the same size is still caught
    assert relative_error(exact, 2 * exact).max() > GRAD_RTOL
