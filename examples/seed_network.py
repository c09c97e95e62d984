"""Train the seed's classifier network with the engine alone: tanh hidden layer,
log-softmax output, cross-entropy against soft targets t, plain gradient descent.

    python examples/seed_network.py
"""

import numpy as np

import chainrule as cr


def make_blobs(n_per_class=200, n_classes=4, dim=8, seed=0):
    """Gaussian clusters with one-hot soft targets t (the seed's t in [0,1]^N)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=2.5, size=(n_classes, dim))
    X = np.concatenate([c + rng.normal(size=(n_per_class, dim)) for c in centers])
    y = np.repeat(np.arange(n_classes), n_per_class)
    T = np.eye(n_classes)[y]
    order = rng.permutation(len(X))
    return X[order].astype(np.float32), T[order].astype(np.float32), y[order]


def main(epochs=30, hidden=32, lr=0.5, seed=0):
    X, T, y = make_blobs(seed=seed)
    rng = np.random.default_rng(seed)
    d, k = X.shape[1], T.shape[1]
    params = {
        "W1": cr.tensor(rng.normal(scale=1 / np.sqrt(d), size=(d, hidden)), dtype="float32",
                        requires_grad=True),
        "b1": cr.tensor(np.zeros(hidden), dtype="float32", requires_grad=True),
        "W2": cr.tensor(rng.normal(scale=1 / np.sqrt(hidden), size=(hidden, k)), dtype="float32",
                        requires_grad=True),
        "b2": cr.tensor(np.zeros(k), dtype="float32", requires_grad=True),
    }
    for epoch in range(1, epochs + 1):
        # docs/derivations.md: tanh' = 1 - tanh^2 (section 2), log_softmax's VJP without
        # its Jacobian (sections 4, 5), the NLL's gradient -t (section 6).
        h = cr.tanh(X @ params["W1"] + params["b1"])
        z = cr.log_softmax(h @ params["W2"] + params["b2"])
        loss = -(cr.tensor(T) * z).sum() / len(X)
        for p in params.values():
            p.grad = None
        loss.backward()
        with cr.no_grad():
            for p in params.values():
                p -= lr * p.grad
        if epoch == 1 or epoch % 5 == 0:
            acc = (z.data.argmax(axis=1) == y).mean()
            print(f"epoch {epoch:3d}  loss {loss.item():.4f}  accuracy {acc:.3f}")
    return loss.item()


if __name__ == "__main__":
    main()
