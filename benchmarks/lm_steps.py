"""One language-model training step in chainrule and in PyTorch, for the ratio benchmarks.

Both models start from the same state_dict (chainrule's, loaded into PyTorch with
``strict=True``), see the same batch and take the same optimizer's step; their first
losses must agree before anything is timed.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr


def paired_steps(torch, model, tmodel, tokens, targets, vocab, optimizer, **opt_kw):
    """{"pytorch": step, "chainrule": step}, each a zero-argument training step.

    ``optimizer`` names a class both libraries have (``"SGD"``, ``"AdamW"``); the loss is
    the mean cross-entropy of the logits (..., vocab) against ``targets`` (flat).
    """
    tmodel.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in
                            model.state_dict().items()}, strict=True)
    opt = getattr(cr.optim, optimizer)(model.parameters(), **opt_kw)
    topt = getattr(torch.optim, optimizer)(tmodel.parameters(), **opt_kw)
    tx, ty = torch.from_numpy(tokens), torch.from_numpy(targets)

    def chainrule_step():
        opt.zero_grad()
        loss = cr.cross_entropy(cr.reshape(model(tokens), (-1, vocab)), targets)
        loss.backward()
        opt.step()
        return loss.item()

    def torch_step():
        topt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(tx).reshape(-1, vocab), ty)
        loss.backward()
        topt.step()
        return loss.item()

    first = chainrule_step(), torch_step()
    if abs(first[0] - first[1]) > 1e-4 * abs(first[1]):
        raise AssertionError(f"the two models disagree: loss {first[0]} vs {first[1]}")
    return {"pytorch": torch_step, "chainrule": chainrule_step}


def ratio_line(label, times, target, verdict):
    """One printed result: both times, the ratio and the verdict against ``target``."""
    ratio = times["chainrule"] / times["pytorch"]
    print(f"  {label}: PyTorch {times['pytorch'] * 1e3:7.1f} ms, chainrule "
          f"{times['chainrule'] * 1e3:7.1f} ms per step: {ratio:.2f}x  target <= {target}x: "
          f"{verdict(ratio, target)}")
    return {"pytorch_ms": times["pytorch"] * 1e3, "chainrule_ms": times["chainrule"] * 1e3,
            "ratio": ratio}
