"""Hidden tests of assignment 03, part 4: Net (forward, end-to-end backward, update),
train_epoch and get_loss_acc.

The nets are built in the student's process from the student's own classes; the suite sets
their weights and builds the same net from the reference here to compare with.
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, check_array, check_scalar
from grader.checks.gradient import (as_float, as_float_array, check_forward_at_probe,
                                    check_gradient, numerical_gradient, parameter_gradient)
from grader.i18n import _

TOL = dict(rtol=1e-7, atol=1e-10)


def build(module, spec, weights):
    """A Net of `module`'s classes: spec is a list of ("Linear", nin, nout) or (name,);
    weights[i] = (W, b) for the i-th Linear. Returns the net and its Linear layers."""
    net = module.Net()
    linears = []
    for item in spec:
        layer = getattr(module, item[0])(*item[1:])
        if item[0] == "Linear":
            layer.W, layer.b = weights[len(linears)]
            linears.append(layer)
        net.add(layer)
    return net, linears


def random_weights(rng, spec):
    return [(rng.normal(0, 1 / np.sqrt(s[1]), size=(s[2], s[1])), rng.normal(0, 0.5, size=(1, s[2])))
            for s in spec if s[0] == "Linear"]


def describe(spec):
    return "Net(" + ", ".join(f"Linear({s[1]}, {s[2]})" if s[0] == "Linear" else f"{s[0]}()"
                              for s in spec) + ")"


SPEC_TANH = [("Linear", 4, 6), ("Tanh",), ("Linear", 6, 3), ("Softmax",)]
SPEC_DEEP = [("Linear", 3, 5), ("ReLU",), ("Linear", 5, 4), ("Tanh",), ("Linear", 4, 3),
             ("Softmax",)]


@pytest.mark.points(2)
def test_net_forward(student, reference, rng):
    """Net.forward applies the added layers in order"""
    for spec in (SPEC_TANH, SPEC_DEEP):
        weights = random_weights(rng, spec)
        x = rng.normal(size=(5, spec[0][1]))
        net, _linears = build(student, spec, weights)
        ref, _ref_linears = build(reference, spec, weights)
        check_array(net.forward(x), ref.forward(x), what=f"{describe(spec)}.forward(x)",
                    inputs=f"x: {x.shape} float64", **TOL)


def relu_inputs_away_from_zero(rng, spec, N, margin=0.05):
    """Weights and x such that every ReLU input is at least `margin` away from 0, so no
    finite-difference probe crosses the kink (checked here, in the parent)."""
    for _attempt in range(200):
        weights = random_weights(rng, spec)
        x = rng.normal(size=(N, spec[0][1]))
        h, k, ok = x, 0, True
        for s in spec:
            if s[0] == "Linear":
                W, b = weights[k]
                h, k = h @ W.T + b, k + 1
            elif s[0] == "ReLU":
                ok = ok and np.abs(h).min() > margin
                h = np.maximum(h, 0)
            elif s[0] == "Tanh":
                h = np.tanh(h)
        if ok:
            return weights, x
    raise RuntimeError("no ReLU inputs away from the kink found")   # a grader bug, not the student's


@pytest.mark.points(3)
def test_net_backward_end_to_end(student, reference, rng):
    """Net.backward through Linear, ReLU, Tanh, Softmax and CrossEntropyLoss against finite differences"""
    N = 4
    weights, x = relu_inputs_away_from_zero(rng, SPEC_DEEP, N)
    y = rng.integers(0, 3, size=N)
    net, linears = build(student, SPEC_DEEP, weights)
    ce = student.CrossEntropyLoss()
    # the finite differences are taken of the reference net with the same weights, here
    ref_net, ref_linears = build(reference, SPEC_DEEP, weights)
    ref_ce = reference.CrossEntropyLoss()
    what = "CrossEntropyLoss.forward(net.forward(x), y)"
    inputs = f"{describe(SPEC_DEEP)}, x: {x.shape} float64, y: ({N},) int64"

    def objective(xx=None):
        return float(ref_ce.forward(ref_net.forward(x if xx is None else xx), y))

    # analytic first: the student's forward, loss, backward on the same batch
    loss = as_float(ce.forward(net.forward(x), y), what=what)
    check_forward_at_probe(loss, objective(), what=what, inputs=inputs)
    dx = net.backward(ce.backward(loss))
    stored = [(lin.dW, lin.db) for lin in linears]
    check_gradient(dx, numerical_gradient(objective, x), what=_("{call} (returned)").format(call="Net.backward: dx"),
                   inputs=inputs, batch_size=N)
    for i, (ref_lin, (W, b), (dW, db)) in enumerate(zip(ref_linears, weights, stored), 1):
        check_gradient(dW, parameter_gradient(ref_lin, "W", W, objective),
                       what=_("{call}: dW of Linear layer {i}").format(call="Net.backward", i=i),
                       inputs=inputs, batch_size=N)
        check_gradient(db, parameter_gradient(ref_lin, "b", b, objective),
                       what=_("{call}: db of Linear layer {i}").format(call="Net.backward", i=i),
                       inputs=inputs, batch_size=N,
                       allow_squeeze=True)


@pytest.mark.points(1)
def test_net_update(student, rng):
    """Net.update(lr) updates every Linear layer (activations have no update)"""
    weights = random_weights(rng, SPEC_TANH)
    net, linears = build(student, SPEC_TANH, weights)
    x, y = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    ce = student.CrossEntropyLoss()
    net.backward(ce.backward(ce.forward(net.forward(x), y)))
    after = _("{name} after Net.backward")
    grads = [(as_float_array(lin.dW, what=after.format(name="Linear.dW")),
              as_float_array(lin.db, what=after.format(name="Linear.db"))) for lin in linears]
    lr = 0.05
    net.update(lr)
    for i, (lin, (W, b), (dW, db)) in enumerate(zip(linears, weights, grads), 1):
        if dW.shape != W.shape or db.size != b.size:
            raise CheckFailed(_("Linear layer {i}: dW {dW} or db {db} does not have the shape "
                                "of W {W} or b {b}").format(i=i, dW=dW.shape, db=db.shape,
                                                            W=W.shape, b=b.shape))
        what = _("{call}: Linear layer {i}").format(
            call=f"{describe(SPEC_TANH)}.update(lr={lr})", i=i)
        check_array(lin.W, W - lr * dW, what=_("{what}: {name} afterwards").format(
            what=what, name="W"), **TOL)
        check_array(lin.b, b - lr * db.reshape(b.shape), what=_("{what}: {name} afterwards")
                    .format(what=what, name="b"), **TOL)


@pytest.mark.points(2)
def test_train_epoch(student, reference, rng):
    """train_epoch: minibatches in order, forward, loss, backward, update"""
    spec = [("Linear", 2, 5), ("Tanh",), ("Linear", 5, 3), ("Softmax",)]
    N = 22                     # not a multiple of the batch sizes: the last batch is smaller
    x, y = rng.normal(size=(N, 2)), rng.integers(0, 3, size=N)
    for kwargs in ({"batch_size": 4, "lr": 0.2}, {"batch_size": 5, "lr": 0.05}, {}):
        weights = random_weights(rng, spec)
        net, linears = build(student, spec, weights)
        ref, ref_linears = build(reference, spec, weights)
        if kwargs:
            student.train_epoch(net, x, y, loss=student.CrossEntropyLoss(), **kwargs)
        else:                  # the defaults: the lesson's loss, batch_size=4, lr=0.1
            student.train_epoch(net, x, y)
        reference.train_epoch(ref, x, y, loss=reference.CrossEntropyLoss(), **kwargs)
        args = (", ".join(f"{k}={v}" for k, v in kwargs.items())
                or _("default batch_size and lr"))
        for i, (lin, rl) in enumerate(zip(linears, ref_linears), 1):
            what = _("{call}: Linear layer {i}").format(call=f"train_epoch(net, x, y, {args})", i=i)
            check_array(lin.W, rl.W, what=_("{what}: {name} afterwards").format(what=what, name="W"),
                        inputs=f"{describe(spec)}, x: {x.shape}", rtol=1e-6, atol=1e-9)
            check_array(lin.b, rl.b.reshape(1, -1),
                        what=_("{what}: {name} afterwards").format(what=what, name="b"),
                        inputs=f"{describe(spec)}, x: {x.shape}", rtol=1e-6, atol=1e-9)


@pytest.mark.points(1)
def test_get_loss_acc(student, reference, rng):
    """get_loss_acc(net, x, y) returns (loss, accuracy)"""
    weights = random_weights(rng, SPEC_TANH)
    net, _linears = build(student, SPEC_TANH, weights)
    ref, _ref_linears = build(reference, SPEC_TANH, weights)
    x, y = rng.normal(size=(20, 4)), rng.integers(0, 3, size=20)
    got = student.get_loss_acc(net, x, y)
    loss, acc = reference.get_loss_acc(ref, x, y)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailed(_("{call}: expected a tuple (loss, accuracy)").format(
            call="get_loss_acc(net, x, y)"))
    check_scalar(got[0], loss, what=_("{call}: the loss").format(call="get_loss_acc(net, x, y)"),
                 rtol=1e-9, atol=1e-12)
    check_scalar(got[1], acc, what=_("{call}: the accuracy (a fraction in [0, 1])").format(
        call="get_loss_acc(net, x, y)"),
                 rtol=1e-9, atol=1e-12)
