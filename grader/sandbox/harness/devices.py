"""The devices a framework reports, faked for one call of the student's code, so that a
device choice can be checked on any machine."""
import sys


class fake_devices:
    """For one call only: torch.cuda / torch.backends.mps, and TensorFlow's
    tf.config.list_physical_devices, report the devices the grader asks for
    ({"cuda": bool, "mps": bool}; TensorFlow: a GPU or none). Nothing else is changed."""

    def __init__(self, wanted):
        self.wanted, self.saved = wanted, []

    def __enter__(self):
        if not self.wanted:
            return self
        cuda, mps = bool(self.wanted.get("cuda")), bool(self.wanted.get("mps"))
        fakes = []
        torch = sys.modules.get("torch")
        if torch is not None:
            fakes += [(torch.cuda, "is_available", lambda: cuda),
                      (torch.cuda, "device_count", lambda: int(cuda)),
                      (torch.backends.mps, "is_available", lambda: mps)]
        tf = sys.modules.get("tensorflow")
        if tf is not None:
            listed = tf.config.list_physical_devices

            def physical_devices(device_type=None):
                cpus = [d for d in listed("CPU")]
                gpus = [tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")] if cuda else []
                kinds = {"CPU": cpus, "GPU": gpus}
                if device_type is None:
                    return cpus + gpus
                return list(kinds.get(str(device_type).upper(), []))
            fakes += [(tf.config, "list_physical_devices", physical_devices),
                      (tf.config.experimental, "list_physical_devices", physical_devices)]
        for owner, name, fake in fakes:
            self.saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, fake)
        return self

    def __exit__(self, *exc):
        for owner, name, original in reversed(self.saved):
            setattr(owner, name, original)
        self.saved = []
        return False
