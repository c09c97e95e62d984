"""scipy.spatial's names: ``distance`` (cdist, pdist, squareform), differentiable."""

from . import distance

__all__ = ["distance"]
