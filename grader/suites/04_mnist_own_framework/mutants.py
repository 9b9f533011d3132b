"""Realistic mistakes in mnist_lab.py (and one in framework.py); `grader validate
04_mnist_own_framework` shows that each loses points."""
from grader.mutants import Mutant

MUTANTS = [
    Mutant("no Softmax at the end", "the net outputs raw scores",
           replace=[("    net.add(Softmax())\n    return net", "    return net")]),
    Mutant("hidden size ignored", "hidden layers always have 100 units",
           replace=[("[hidden_size] * (num_layers - 1)", "[100] * (num_layers - 1)")]),
    Mutant("activation ignored", "always Tanh, whatever is asked",
           replace=[("net.add(layer_of[activation]())", "net.add(Tanh())")]),
    Mutant("no activation between layers", "stacked Linear layers are one linear map",
           replace=[("        if i < num_layers - 1:\n            net.add(layer_of[activation]())\n",
                     "")]),
    Mutant("activation after the last layer", "an activation before Softmax squashes the scores",
           replace=[("        if i < num_layers - 1:\n            net.add(layer_of[activation]())\n",
                     "        net.add(layer_of[activation]())\n")]),
    Mutant("one Linear layer short", "num_layers - 2 hidden layers",
           replace=[("[hidden_size] * (num_layers - 1)", "[hidden_size] * max(num_layers - 2, 0)"),
                    ("if i < num_layers - 1:", "if i < len(sizes) - 2:")]),
    Mutant("no check of the settings", "unknown activations and depths are not refused",
           replace=[("    if num_layers not in (1, 2, 3):\n        raise ValueError(f\"num_layers "
                     "must be 1, 2 or 3, got {num_layers!r}\")\n", ""),
                    ("    if activation not in layer_of:\n        raise ValueError(f\"unknown "
                     "activation {activation!r}; use one of {ACTIVATIONS}\")\n", "")]),
    Mutant("labels not shuffled with the images", "X[order] but y in the old order",
           replace=[("train_epoch(net, X[order], y[order],", "train_epoch(net, X[order], y,")]),
    Mutant("one epoch only", "the loop over epochs is missing",
           replace=[("for _ in range(epochs):", "for _ in range(1):")]),
    Mutant("history before the epoch", "records the loss before training, not after",
           replace=[("        order = np.random.permutation(len(X))\n",
                     "        order = np.random.permutation(len(X))\n"
                     "        loss, accuracy = get_loss_acc(net, X, y)\n"
                     "        history.append((float(loss), float(accuracy)))\n"),
                    ("        loss, accuracy = get_loss_acc(net, X, y)\n"
                     "        history.append((float(loss), float(accuracy)))\n    return history",
                     "    return history")]),
    Mutant("predict returns probabilities", "net.forward(X) instead of its argmax",
           replace=[("return np.argmax(net.forward(X), axis=1)", "return net.forward(X)")]),
    Mutant("predict over the wrong axis", "argmax over the batch axis",
           replace=[("return np.argmax(net.forward(X), axis=1)",
                     "return np.argmax(net.forward(X), axis=0)")]),
    Mutant("framework: update with +", "the framework's Linear.update climbs the loss",
           file="framework.py",
           replace=[("self.W = self.W - lr * self.dW", "self.W = self.W + lr * self.dW"),
                    ("self.b = self.b - lr * self.db", "self.b = self.b + lr * self.db")]),
    Mutant("framework: CrossEntropy backward without 1/N", "steps batch_size times too large",
           file="framework.py",
           replace=[("dp[np.arange(n), self.y] = -1.0 / (n * self.p[np.arange(n), self.y])",
                     "dp[np.arange(n), self.y] = -1.0 / self.p[np.arange(n), self.y]")]),
    Mutant("torch import", "uses torch (guarded, so it runs without torch)",
           replace=[("import numpy as np\n", "import numpy as np\ntry:\n"
                     "    import torch  # noqa: F401\nexcept ImportError:\n    pass\n")]),
]
