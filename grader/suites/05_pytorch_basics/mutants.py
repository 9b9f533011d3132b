"""Realistic mistakes in torch_basics.py; `grader validate 05_pytorch_basics` shows that each
loses points (and which test catches it)."""
from grader.mutants import Mutant

MUTANTS = [
    # --- tensors and devices ---
    Mutant("to_tensor keeps the dtype", "torch.as_tensor(array) keeps float64 and int64",
           replace=[("return torch.as_tensor(array, dtype=torch.float32, device=device)",
                     "return torch.as_tensor(array, device=device)")]),
    Mutant("get_device prefers mps", "checks Apple's MPS before CUDA",
           replace=[("    if torch.cuda.is_available():\n        return torch.device(\"cuda\")\n"
                     "    if torch.backends.mps.is_available():\n        return torch.device(\"mps\")\n",
                     "    if torch.backends.mps.is_available():\n        return torch.device(\"mps\")\n"
                     "    if torch.cuda.is_available():\n        return torch.device(\"cuda\")\n")]),
    # --- autograd ---
    Mutant("gradient by hand", "the derivative written out instead of autograd",
           replace=[("    x = torch.as_tensor(x).detach().clone().requires_grad_(True)\n"
                     "    f = torch.mean(torch.sqrt(x ** 2 + 1))\n    f.backward()\n    return x.grad\n",
                     "    x = torch.as_tensor(x)\n"
                     "    return x / (x.numel() * torch.sqrt(x ** 2 + 1))\n")]),
    Mutant("fit_line never zeroes the gradients", "w.grad accumulates over the epochs",
           replace=[("        w.grad.zero_()\n        b.grad.zero_()\n", "")]),
    Mutant("fit_line update outside no_grad", "an in-place update of a leaf that requires grad",
           replace=[("        with torch.no_grad():\n            w -= lr * w.grad\n            b -= lr * b.grad\n",
                     "        w -= lr * w.grad\n        b -= lr * b.grad\n")]),
    # --- MLP ---
    Mutant("MLP returns probabilities", "softmax at the end of forward",
           replace=[("        return self.net(x)\n", "        return torch.softmax(self.net(x), dim=1)\n")]),
    Mutant("MLP ignores activation", "always ReLU",
           replace=[("layers += [nn.Linear(n, size), activations[activation]()]",
                     "layers += [nn.Linear(n, size), nn.ReLU()]")]),
    Mutant("MLP without dropout", "the dropout argument is ignored",
           replace=[("            if dropout > 0:\n                layers.append(nn.Dropout(dropout))\n", "")]),
    # --- training ---
    Mutant("no zero_grad", "optimizer.zero_grad() forgotten: gradients accumulate over batches",
           replace=[("            optimizer.zero_grad()\n", "")]),
    Mutant("softmax applied twice", "CrossEntropyLoss on softmax probabilities",
           replace=[("loss = loss_fn(model(xb), yb)", "loss = loss_fn(torch.softmax(model(xb), dim=1), yb)")]),
    Mutant("labels as float", "y converted to float32 for the loss",
           replace=[("y = torch.as_tensor(y, dtype=torch.long)\n    generator",
                     "y = torch.as_tensor(y, dtype=torch.float32)\n    generator")]),
    Mutant("device ignored", "train always uses get_device(), whatever it is asked",
           replace=[("    device = torch.device(device) if device is not None else get_device()\n"
                     "    X = torch.as_tensor(X, dtype=torch.float32)\n    y",
                     "    device = get_device()\n    X = torch.as_tensor(X, dtype=torch.float32)\n    y")]),
    Mutant("no model.train()", "training in whatever mode the model was left in",
           replace=[("        model.train()\n        total", "        total")]),
    Mutant("loss of the last batch", "the epoch's loss is the last batch's, not the mean",
           replace=[("        losses.append(total / count)", "        losses.append(loss.item())")]),
    Mutant("batch_size ignored", "DataLoader(batch_size=64) whatever is asked",
           replace=[("batch_size=batch_size, shuffle=True", "batch_size=64, shuffle=True")]),
    Mutant("seed ignored", "the batches are shuffled by the global random state",
           replace=[("generator = torch.Generator().manual_seed(seed)", "generator = None")]),
    # --- evaluation and prediction ---
    Mutant("eval mode missing", "evaluate without model.eval(): dropout stays on",
           replace=[("    model.eval()\n    with torch.no_grad():\n        logits = model(X)\n"
                     "    return (logits", "    with torch.no_grad():\n        logits = model(X)\n"
                     "    return (logits")]),
    Mutant("no_grad missing", "evaluate builds an autograd graph",
           advice_only="a graph that is never used changes no output; only the worker's own "
                       "forward log shows it",
           replace=[("    with torch.no_grad():\n        logits = model(X)\n    return (logits",
                     "    logits = model(X)\n    return (logits")]),
]
