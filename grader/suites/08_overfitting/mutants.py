"""Realistic mistakes in overfitting.py; `grader validate 08_overfitting` shows that each
loses points."""
from grader.mutants import Mutant

IMPROVES = ("        if val_loss < self.best_loss - self.min_delta:\n"
            "            self.best_loss, self.best_epoch = float(val_loss), self.epoch\n"
            "            self.epochs_without_improvement = 0\n")
FOLDS = "    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]"

MUTANTS = [
    # --- polynomials and the split ---
    Mutant("polynomial coefficients lowest power first", "np.vander(..., increasing=True)",
           replace=[("V = np.vander(x, degree + 1)", "V = np.vander(x, degree + 1, increasing=True)")]),
    Mutant("split without shuffling", "the validation set is the first rows",
           replace=[("order = np.random.default_rng(seed).permutation(len(X))",
                     "order = np.arange(len(X))")]),
    Mutant("X and y shuffled separately", "two permutations: labels no longer match their rows",
           replace=[("    return X[train], X[val], y[train], y[val]",
                     "    y = y[np.random.default_rng(seed + 1).permutation(len(y))]\n"
                     "    return X[train], X[val], y[train], y[val]")]),
    # --- early stopping ---
    Mutant("early stopping off by one", "stops only after patience + 1 epochs without improvement",
           replace=[("return self.epochs_without_improvement >= self.patience",
                     "return self.epochs_without_improvement > self.patience")]),
    Mutant("patience never reset", "epochs without improvement are counted since the start",
           replace=[(IMPROVES, IMPROVES.replace("            self.epochs_without_improvement = 0\n",
                                                ""))]),
    Mutant("min_delta ignored", "every decrease counts as an improvement",
           replace=[("if val_loss < self.best_loss - self.min_delta:",
                     "if val_loss < self.best_loss:")]),
    Mutant("best epoch counted from 1", "epochs numbered 1, 2, ...",
           replace=[("self.epoch = -1", "self.epoch = 0")]),
    Mutant("overfitting epoch one late", "returns the first rising epoch, not the one before",
           replace=[("            return e\n    return None", "            return e + 1\n    return None")]),
    # --- dropout ---
    Mutant("dropout without the 1/(1-p) scaling", "kept entries are not scaled up",
           replace=[("self.scale = (keep / (1.0 - self.p)).astype(x.dtype)",
                     "self.scale = keep.astype(x.dtype)")]),
    Mutant("dropout active in eval", "training=False is ignored",
           replace=[("        if not training:\n            self.scale = None\n            return x\n", "")]),
    Mutant("dropout keeps with probability p", "p used as the keep probability",
           replace=[("keep = np.random.random(x.shape) >= self.p",
                     "keep = np.random.random(x.shape) < self.p")]),
    Mutant("dropout backward draws a new mask", "backward samples its own mask",
           replace=[("        return dy * self.scale",
                     "        keep = np.random.random(dy.shape) >= self.p\n"
                     "        return dy * keep / (1.0 - self.p)")]),
    # --- k-fold ---
    Mutant("folds overlapping", "each validation fold also takes the next fold's first index",
           replace=[(FOLDS,
                     "    return [(np.concatenate(folds[:i] + folds[i + 1:]),\n"
                     "             np.concatenate([folds[i], folds[(i + 1) % k][:1]])) for i in range(k)]")]),
    Mutant("validation fold left in the training set", "train_idx is every index",
           replace=[(FOLDS, "    return [(order.copy(), folds[i]) for i in range(k)]")]),
    Mutant("remainder never validated", "folds of n // k, the last n % k indices dropped",
           replace=[("folds = np.array_split(order, k)",
                     "folds = [order[i * (n // k):(i + 1) * (n // k)] for i in range(k)]")]),
    Mutant("cross-validation scored on the training folds", "score_fn on X[train_idx]",
           replace=[("scores.append(float(score_fn(model, X[val_idx], y[val_idx])))",
                     "scores.append(float(score_fn(model, X[train_idx], y[train_idx])))")]),
    # --- class imbalance ---
    Mutant("class weights proportional instead of inverse", "w_c = N_c / N",
           replace=[("return len(y) / (len(counts) * counts.astype(np.float64))",
                     "return counts.astype(np.float64) / len(y)")]),
    Mutant("class weights ignored in training", "train_logistic never uses its class_weights",
           replace=[("s = np.ones(N) if class_weights is None else "
                     "np.asarray(class_weights, dtype=np.float64)[y]", "s = np.ones(N)")]),
    Mutant("threshold by accuracy", "best_threshold maximises accuracy instead of F1",
           replace=[("f1 = 2 * tp / (2 * tp + wrong) if tp + wrong else 0.0",
                     "f1 = 1.0 - wrong / len(y)")]),
    Mutant("threshold chosen on training data", "best_threshold of the training probabilities",
           replace=[("threshold = best_threshold(predict_proba(w, X_val), y_val)",
                     "threshold = best_threshold(predict_proba(w, X_train), y_train)")]),
]
