# Example student "bob": partly right. Three classic backprop mistakes for the demo:
#   - Softmax.backward is the elementwise p * (1 - p) * dp, as if softmax were a sigmoid;
#   - CrossEntropyLoss.backward forgets the 1/N of the mean;
#   - Linear.backward keeps db = dz, one row per sample, instead of summing over the batch.
# The feedback names each wrong gradient and the likely cause.
import numpy as np


class Linear:
    def __init__(self, nin, nout):
        self.W = np.random.normal(0, 1.0 / np.sqrt(nin), (nout, nin))
        self.b = np.zeros((1, nout))

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b

    def backward(self, dz):
        self.dW = dz.T @ self.x
        self.db = dz                       # should be dz.sum(axis=0)
        return dz @ self.W

    def update(self, lr):
        self.W -= lr * self.dW
        self.b = self.b - lr * self.db.mean(axis=0, keepdims=True)


class Sigmoid:
    def forward(self, x):
        self.y = 1 / (1 + np.exp(-np.clip(x, -500, 500)))
        return self.y

    def backward(self, dy):
        return dy * self.y * (1 - self.y)


class Tanh:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dy):
        return dy * (1 - self.y ** 2)


class ReLU:
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dy):
        return dy * (self.x > 0)


class LeakyReLU:
    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dy):
        return dy * np.where(self.x > 0, 1.0, self.alpha)


class Softmax:
    def forward(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        return self.p

    def backward(self, dp):
        return self.p * (1 - self.p) * dp  # only the diagonal of the Jacobian


class CrossEntropyLoss:
    def forward(self, p, y):
        self.p, self.y = p, y
        return -np.mean(np.log(p[np.arange(len(y)), y]))

    def backward(self, loss):
        dp = np.zeros_like(self.p)
        dp[np.arange(len(self.y)), self.y] = -1.0 / self.p[np.arange(len(self.y)), self.y]
        return dp                          # the 1/N of the mean is missing


class MSELoss:
    def forward(self, pred, target):
        self.diff = pred - target
        return np.mean(self.diff ** 2)

    def backward(self, loss):
        return 2 * self.diff / self.diff.size


class Net:
    def __init__(self):
        self.layers = []

    def add(self, layer):
        self.layers.append(layer)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dz):
        for layer in reversed(self.layers):
            dz = layer.backward(dz)
        return dz

    def update(self, lr):
        for layer in self.layers:
            if hasattr(layer, "update"):
                layer.update(lr)


def train_epoch(net, train_x, train_labels, loss=CrossEntropyLoss(), batch_size=4, lr=0.1):
    for i in range(0, len(train_x), batch_size):
        p = net.forward(train_x[i:i + batch_size])
        value = loss.forward(p, train_labels[i:i + batch_size])
        net.backward(loss.backward(value))
        net.update(lr)


def get_loss_acc(net, x, y, loss=CrossEntropyLoss()):
    p = net.forward(x)
    return float(loss.forward(p, y)), float(np.mean(np.argmax(p, axis=1) == y))
