"""Hidden tests of assignment 05, part 1: to_tensor and get_device.

get_device is called with torch's availability probes faked in the student's process
(torch.cuda.is_available/device_count, torch.backends.mps.is_available), so the order of
preference is checked on any machine, with or without a GPU.
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, describe_input
from grader.checks.autograd import check_tensor
from grader.sandbox.proxy import RemoteObject
from grader.i18n import _


@pytest.mark.points(2)
def test_to_tensor_gives_float32(student, rng):
    """to_tensor gives a float32 tensor with the array's values, on the CPU by default"""
    cases = [rng.normal(size=(3, 4)), rng.integers(-5, 5, size=7),
             rng.normal(size=(2, 3, 2)).astype(np.float32), rng.integers(0, 255, size=(4, 2)).astype(np.uint8)]
    for x in cases:
        check_tensor(student.to_tensor(x), x.astype(np.float32), what="to_tensor(array)",
                     inputs=describe_input("array", x), dtype="torch.float32", device="cpu",
                     rtol=1e-6, atol=0)


@pytest.mark.points(1)
def test_to_tensor_on_the_given_device(student, rng):
    """to_tensor(array, device="cpu") puts the tensor on that device"""
    x = rng.normal(size=(5, 3))
    check_tensor(student.to_tensor(x, device="cpu"), x.astype(np.float32),
                 what='to_tensor(array, device="cpu")', inputs=describe_input("array", x),
                 device="cpu", rtol=1e-6, atol=0)


@pytest.mark.points(3)
@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda"), (True, False, "cuda"),
                                                 (False, True, "mps"), (False, False, "cpu")],
                         ids=["cuda+mps", "cuda", "mps", "none"])
def test_get_device_prefers_cuda_then_mps_then_cpu(student, cuda, mps, expected):
    """get_device prefers cuda, then mps, then cpu"""
    what = _("{call} where {cuda_check} is {cuda} and {mps_check} is {mps}").format(
        call="get_device()", cuda_check="torch.cuda.is_available()", cuda=cuda,
        mps_check="torch.backends.mps.is_available()", mps=mps)
    device = student.call_with_fake_devices("get_device", cuda=cuda, mps=mps)
    if not isinstance(device, RemoteObject) or device.type_name != "device":
        got = (_("the {type} {value}").format(type=type(device).__name__, value=repr(device))
               if isinstance(device, str) else
               _("a {type}").format(type=getattr(device, "type_name", type(device).__name__)))
        raise InvalidOutput(_("{what}: expected a torch.device, got {got}; return "
                              "torch.device(...)").format(what=what, got=got))
    if device.type != expected:
        raise CheckFailed(_("{what}: got device type {got}, expected {expected}").format(
            what=what, got=repr(device.type), expected=repr(expected)))
