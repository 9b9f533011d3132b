"""Realistic mistakes in frameworks_lab.py; `grader validate 06_frameworks_lab` shows that each
loses points (and which test catches it)."""
from grader.mutants import Mutant

MUTANTS = [
    # --- build_model ---
    Mutant("no hidden activation", "Linear layers stacked without ReLU: one linear map",
           replace=[("layers += [nn.Linear(n_in, size), nn.ReLU()]", "layers += [nn.Linear(n_in, size)]")]),
    Mutant("hidden_layers ignored", "always the single-layer network",
           replace=[("    for size in hidden_layers:\n", "    for size in ():\n")]),
    Mutant("ten classes for both problems", "the output layer has 10 units for iris too",
           replace=[("    layers.append(nn.Linear(n_in, n_out))", "    layers.append(nn.Linear(n_in, 10))")]),
    Mutant("softmax output with CrossEntropyLoss", "softmax applied twice: in the model and in the loss",
           replace=[("    return nn.Sequential(*layers)", "    return nn.Sequential(*layers, nn.Softmax(dim=1))")]),
    # --- fit ---
    Mutant("no zero_grad", "gradients accumulate over the batches",
           replace=[("            optimizer.zero_grad()\n", "")]),
    Mutant("fit ignores lr", "Adam's default learning rate whatever lr is",
           replace=[("torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.Adam(model.parameters())")]),
    Mutant("fit ignores epochs", "a single pass over the data",
           replace=[("    for _ in range(epochs):", "    for _ in range(1):")]),
    Mutant("labels as float", "y as float32 for the loss",
           replace=[("y = torch.as_tensor(y, dtype=torch.long)", "y = torch.as_tensor(y, dtype=torch.float32)")]),
    Mutant("history sums the batch losses", "the epoch's loss is a sum, not a mean",
           replace=[("        history.append(total / len(X))", "        history.append(total)")]),
    Mutant("no optimizer step", "backward but no step: nothing is learned",
           replace=[("            optimizer.step()\n", "")]),
    # --- predict ---
    Mutant("predict returns the outputs", "the logits instead of the labels",
           replace=[("    return outputs.argmax(dim=1).numpy()", "    return outputs.numpy()")]),
    Mutant("predict argmax over the batch", "argmax along axis 0",
           replace=[("    return outputs.argmax(dim=1).numpy()", "    return outputs.argmax(dim=0).numpy()")]),
]

# --- the Keras track (solutions/06_frameworks_lab/tracks/keras: the lesson's
# `from tensorflow import keras`, graded on the TensorFlow backend) ---
MUTANTS += [Mutant(name, description, replace=replace, track="keras") for name, description, replace in [
    ("no hidden activation", "Dense hidden layers without relu",
     [('keras.layers.Dense(units, activation="relu")', "keras.layers.Dense(units)")]),
    # (not "softmax in the model and from_logits=True": on TensorFlow, Keras then takes the
    # logits from under the softmax itself and only warns, so the mistake computes nothing wrong)
    ("relu on the output layer", "activation='relu' on every layer, the output one too",
     [("model.add(keras.layers.Dense(n_out))", 'model.add(keras.layers.Dense(n_out, activation="relu"))')]),
    ("fit ignores lr", "Adam's default learning rate",
     [("keras.optimizers.Adam(learning_rate=lr)", "keras.optimizers.Adam()")]),
    ("fit ignores epochs", "one epoch whatever epochs is",
     [("epochs=epochs, batch_size", "epochs=1, batch_size")]),
    ("batches of 64", "batch_size=64 instead of 32",
     [("batch_size=BATCH_SIZE", "batch_size=64")]),
    ("no shuffling", "shuffle=False: the same batches every epoch",
     [("shuffle=True", "shuffle=False")]),
    ("predict returns the outputs", "the logits instead of the labels",
     [("    return np.argmax(logits, axis=1)", "    return logits")]),
]]

# --- the Lightning track (solutions/06_frameworks_lab/tracks/lightning) ---
MUTANTS += [Mutant(name, description, replace=replace, track="lightning") for name, description, replace in [
    ("training_step does not return the loss", "Lightning then skips every optimizer step",
     [("        self._count += len(xb)\n        return loss\n", "        self._count += len(xb)\n")]),
    ("configure_optimizers on the last layer only", "the hidden layers are never trained",
     [("torch.optim.Adam(self.parameters(), lr=self.lr)",
       "torch.optim.Adam(self.net[-1].parameters(), lr=self.lr)")]),
    ("fit ignores lr", "the module keeps its default learning rate",
     [("    model.lr, model.epoch_losses = lr, []\n", "    model.epoch_losses = []\n")]),
    ("one epoch", "max_epochs=1 whatever epochs is",
     [("L.Trainer(max_epochs=epochs,", "L.Trainer(max_epochs=1,")]),
    ("no shuffling", "the same batches every epoch",
     [("batch_size=BATCH_SIZE, shuffle=True)", "batch_size=BATCH_SIZE, shuffle=False)")]),
]]

# the same mistake on the torch track: the optimizer over the output layer only
MUTANTS.append(Mutant("optimizer on the output layer only", "the hidden layers are never trained",
                      replace=[("torch.optim.Adam(model.parameters(), lr=lr)",
                                "torch.optim.Adam(model[-1].parameters(), lr=lr)")]))
