"""PyTorch's MNIST example, on the built-in 8x8 digits, with chainrule.torch.

    python examples/torch_style/mnist_cnn.py [epochs]

The network, training loop and test loop of pytorch/examples' ``mnist/main.py`` (two
3x3 convolutions, max-pooling, Dropout, two Linear layers, log_softmax + nll_loss,
Adadelta with StepLR), written as a PyTorch user writes them. The only differences from
a PyTorch program are the import lines and the data: chainrule's built-in 1,797 digits
(``chainrule.data.load_digits``, 8x8 pixels, so the first Linear layer takes 64*2*2
inputs) instead of torchvision's MNIST download, split 80/20 with ``random_split``.

Measured (Python 3.11.7, NumPy 2.4.6, one run on a shared 2-core machine, 2026-12-05):
14 epochs in 1.5 s; test accuracy 97.77% (351 of 359), test loss 0.0881. The program
prints the training log, each epoch's test line and this summary.
"""

from __future__ import annotations

import sys
import time

import chainrule.torch as torch
import chainrule.torch.nn as nn
import chainrule.torch.nn.functional as F
import chainrule.torch.optim as optim
from chainrule.data import load_digits
from chainrule.torch.optim.lr_scheduler import StepLR
from chainrule.torch.utils.data import DataLoader, TensorDataset, random_split


class Net(nn.Module):
    def __init__(self, dropout=(0.25, 0.5)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(dropout[0])
        self.dropout2 = nn.Dropout(dropout[1])
        self.fc1 = nn.Linear(64 * 2 * 2, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def make_optimizer(model, lr=1.0):
    return optim.Adadelta(model.parameters(), lr=lr)


def train_step(model, optimizer, data, target):
    optimizer.zero_grad()
    output = model(data)
    loss = F.nll_loss(output, target)
    loss.backward()
    optimizer.step()
    return loss.item()


def train(model, device, train_loader, optimizer, epoch, log_interval=10, log=True):
    model.train()
    losses = []
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        losses.append(train_step(model, optimizer, data, target))
        if log and batch_idx % log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)}]"
                  f"\tLoss: {losses[-1]:.6f}")
    return losses


def test(model, device, test_loader, log=True):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    if log:
        print(f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/"
              f"{len(test_loader.dataset)} ({100.0 * correct / len(test_loader.dataset):.0f}%)\n")
    return test_loss, correct / len(test_loader.dataset)


def digits():
    X, y = load_digits()
    images = torch.from_numpy(X).float().view(-1, 1, 8, 8) / 16.0
    images = (images - 0.3) / 0.4  # (roughly the pixels' mean and standard deviation)
    return TensorDataset(images, torch.from_numpy(y))


def main(epochs=14, batch_size=64, lr=1.0, gamma=0.7, seed=1, log=True):
    torch.manual_seed(seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set, test_set = random_split(digits(), [0.8, 0.2])
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = Net().to(device)
    optimizer = make_optimizer(model, lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=gamma)
    start = time.perf_counter()
    losses = []
    for epoch in range(1, epochs + 1):
        losses += train(model, device, train_loader, optimizer, epoch, log=log)
        test_loss, accuracy = test(model, device, test_loader, log=log)
        scheduler.step()
    print(f"{epochs} epochs in {time.perf_counter() - start:.1f} s; test accuracy "
          f"{100 * accuracy:.2f}%")
    return {"losses": losses, "test_loss": test_loss, "test_accuracy": accuracy}


if __name__ == "__main__":
    main(**({"epochs": int(sys.argv[1])} if len(sys.argv) > 1 else {}))
